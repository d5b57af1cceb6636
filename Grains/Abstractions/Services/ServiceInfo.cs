using Formation.Vms;

namespace Formation.Services;

/// <summary>Where a service's rollout stands.</summary>
[GenerateSerializer]
[Alias("formation.rollout-state")]
public enum RolloutState
{
    /// <summary>Every replica runs the current revision and the count is right.</summary>
    Steady = 0,

    /// <summary>Replicas are being replaced, added or removed, one at a time.</summary>
    Rolling = 1,

    /// <summary>A new replica failed: the rollout stopped and the replicas of the previous revision keep serving.</summary>
    Failed = 2,

    /// <summary>The service is being deleted with its replicas.</summary>
    Deleting = 3,
}

/// <summary>One version of a service: the VM shape every replica of it gets, with its image digest pinned.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.service-revision")]
public sealed record ServiceRevision(
    [property: Id(0)] int Number,
    [property: Id(1)] VmSpec Template,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] HealthCheck? Health = null);

/// <summary>One replica: a VM of the service, the revision it runs, and whether it takes traffic.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.service-replica")]
public sealed record ServiceReplica(
    [property: Id(0)] string VmId,
    [property: Id(1)] string Name,
    [property: Id(2)] string NodeId,
    [property: Id(3)] int Revision,
    [property: Id(4)] VmState State,
    [property: Id(5)] string? Address,
    [property: Id(6)] bool Draining = false,
    [property: Id(7)] ReplicaHealth Health = ReplicaHealth.None)
{
    /// <summary>
    /// Running replicas whose health check passes (or that have none) take traffic (DNS and the proxy list them); all
    /// others do not, nor does one that is draining (taken out of DNS and the proxy before it is deleted).
    /// </summary>
    public bool Serving => State == VmState.Running && !Draining && Health is ReplicaHealth.None or ReplicaHealth.Passing;
}

/// <summary>Everything known about one service (<c>form service show</c>).</summary>
[GenerateSerializer, Immutable]
[Alias("formation.service-info")]
public sealed record ServiceInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] int Replicas,
    [property: Id(2)] int Revision,
    [property: Id(3)] RolloutState Rollout,
    [property: Id(4)] string? Message,
    [property: Id(5)] IReadOnlyList<ServiceReplica> ReplicaList,
    [property: Id(6)] IReadOnlyList<ServiceRevision> Revisions,
    [property: Id(7)] DateTimeOffset CreatedAt,
    [property: Id(8)] DateTimeOffset UpdatedAt)
{
    public ServiceRevision? Current => Revisions.FirstOrDefault(r => r.Number == Revision);

    /// <summary>Replicas of the current revision that run.</summary>
    public int Ready => ReplicaList.Count(r => r.Revision == Revision && r.Serving);

    public ServiceSummary ToSummary() =>
        new(Name, Replicas, Ready, Revision, Rollout, Current?.Template.Image, Current?.Template.ImageDigest, UpdatedAt);
}

/// <summary>One row of <c>form service list</c>.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.service-summary")]
public sealed record ServiceSummary(
    [property: Id(0)] string Name,
    [property: Id(1)] int Replicas,
    [property: Id(2)] int Ready,
    [property: Id(3)] int Revision,
    [property: Id(4)] RolloutState Rollout,
    [property: Id(5)] string? Image,
    [property: Id(6)] string? ImageDigest,
    [property: Id(7)] DateTimeOffset UpdatedAt);
