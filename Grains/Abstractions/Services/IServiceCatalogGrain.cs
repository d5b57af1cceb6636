namespace Formation.Services;

/// <summary>The cluster's list of services (key: <see cref="GrainKeys.Cluster"/>), kept current by the service grains.</summary>
[Alias("formation.service-catalog")]
public interface IServiceCatalogGrain : IGrainWithStringKey
{
    [Alias("list")]
    [NonMutating]
    Task<IReadOnlyList<ServiceSummary>> ListAsync();

    /// <summary>Called by a service grain after each change.</summary>
    [Alias("update")]
    [Mutating]
    Task UpdateAsync(ServiceSummary summary);

    /// <summary>Called by a service grain once it and its replicas are gone.</summary>
    [Alias("remove")]
    [Mutating]
    Task RemoveAsync(string name);

    /// <summary>Wakes every listed service (at silo start) so rollouts and replica repair resume without a user's call.</summary>
    [Alias("wake-all"), OneWay]
    [Mutating]
    Task WakeAllAsync();
}
