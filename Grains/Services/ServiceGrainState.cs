using Formation.Services;

namespace Formation.Grains.Services;

/// <summary>What a service grain persists.</summary>
[GenerateSerializer]
[Alias("formation.service-grain-state")]
public sealed class ServiceGrainState
{
    /// <summary>Keep at most this many revisions; older ones (never the current one) are dropped.</summary>
    public const int MaxRevisions = 20;

    [Id(0)] public bool Exists { get; set; }

    [Id(1)] public int Replicas { get; set; }

    /// <summary>The revision every replica should run.</summary>
    [Id(2)] public int Revision { get; set; }

    [Id(3)] public List<ServiceRevision> Revisions { get; set; } = [];

    /// <summary>The revisions made current, oldest first (what a rollback goes back along).</summary>
    [Id(4)] public List<int> History { get; set; } = [];

    /// <summary>The revision of each replica, by VM id.</summary>
    [Id(5)] public Dictionary<string, int> ReplicaRevisions { get; set; } = [];

    /// <summary>The number the next replica's name gets (<c>NAME-N</c>); never reused.</summary>
    [Id(6)] public int NextOrdinal { get; set; } = 1;

    /// <summary>A replica being created (its ordinal), recorded before the create so a restart finishes the same one.</summary>
    [Id(7)] public int? Creating { get; set; }

    [Id(8)] public RolloutState Rollout { get; set; }

    [Id(9)] public string? Message { get; set; }

    [Id(10)] public DateTimeOffset CreatedAt { get; set; }

    [Id(11)] public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Replicas taken out of traffic before their deletion, by VM id, with when that began.</summary>
    [Id(12)] public Dictionary<string, DateTimeOffset> Draining { get; set; } = [];

    /// <summary>Health check results of replicas whose revision has a check, by VM id.</summary>
    [Id(13)] public Dictionary<string, HealthRecord> Health { get; set; } = [];
}

/// <summary>What a service remembers of one replica's health checks.</summary>
[GenerateSerializer]
[Alias("formation.service-health-record")]
public sealed class HealthRecord
{
    /// <summary>When the replica was first seen running (its start period counts from here).</summary>
    [Id(0)] public DateTimeOffset Since { get; set; }

    /// <summary>Whether any check has passed since it (re)started.</summary>
    [Id(1)] public bool Passed { get; set; }

    /// <summary>Checks failed in a row.</summary>
    [Id(2)] public int Failures { get; set; }

    [Id(3)] public string? Detail { get; set; }

    /// <summary>When the service last rebooted it for failing its checks.</summary>
    [Id(4)] public DateTimeOffset? RebootedAt { get; set; }
}
