using Formation.Identity;

namespace Formation.Services;

/// <summary>
/// One service (key: its name): a replica count and a history of revisions. Changes start a rollout that replaces,
/// adds or removes replicas one at a time, never removing an old replica before its replacement runs; calls return
/// when the rollout has started, and <see cref="GetAsync"/> shows its progress.
/// </summary>
[Alias("formation.service")]
public interface IServiceGrain : IGrainWithStringKey
{
    /// <summary>Creates the service or rolls it to a new revision (none when the template is unchanged) and count.</summary>
    [Alias("deploy")]
    [Mutating]
    Task<ServiceInfo> DeployAsync(ServiceSpec spec);

    /// <summary>The service; NotFound when there is none of this name.</summary>
    [Alias("get"), AlwaysInterleave]
    [NonMutating]
    Task<ServiceInfo> GetAsync();

    /// <summary>Sets the replica count of the current revision.</summary>
    [Alias("scale")]
    [Mutating]
    Task<ServiceInfo> ScaleAsync(int replicas);

    /// <summary>Rolls back to the revision before the current one.</summary>
    [Alias("rollback")]
    [Mutating]
    Task<ServiceInfo> RollbackAsync();

    /// <summary>Deletes every replica, then the service.</summary>
    [Alias("delete")]
    [Mutating]
    Task<ServiceInfo> DeleteAsync();

    /// <summary>The outcome of one health check of a replica, from its node's prober.</summary>
    [Alias("health"), OneWay]
    [Mutating]
    [NodeOnly]
    Task ReportHealthAsync(HealthReport report);

    /// <summary>Makes sure the service is active and its rollout (if any) is moving, e.g. after a silo restart.</summary>
    [Alias("wake"), OneWay]
    [Mutating]
    [NodeOnly]
    Task WakeAsync();
}
