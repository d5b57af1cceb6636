using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>What a VM grain persists.</summary>
[GenerateSerializer]
[Alias("formation.vm-grain-state")]
public sealed class VmGrainState
{
    /// <summary>Keep at most this many events per VM; older ones are dropped.</summary>
    public const int MaxEvents = 200;

    [Id(0)] public VmSpec? Spec { get; set; }

    [Id(1)] public VmState State { get; set; }

    [Id(2)] public string? Reason { get; set; }

    [Id(3)] public DateTimeOffset CreatedAt { get; set; }

    [Id(4)] public DateTimeOffset UpdatedAt { get; set; }

    [Id(5)] public string? Address { get; set; }

    [Id(6)] public string HypervisorDriver { get; set; } = "";

    [Id(7)] public List<VmEvent> Events { get; set; } = [];

    [Id(8)] public List<string> Ports { get; set; } = [];

    /// <summary>When the restart policy last booted the VM again (crash-loop guard).</summary>
    [Id(9)] public List<DateTimeOffset> AutomaticRestarts { get; set; } = [];

    /// <summary>The digest of the image this node is fetching for the VM (it waits in Provisioning), or null.</summary>
    [Id(10)] public string? AwaitingImage { get; set; }

    /// <summary>The account that owns the VM, from the caller that created it; null (state from before accounts) is admin.</summary>
    [Id(11)] public string? Owner { get; set; }

    /// <summary>The node the VM is migrating to (it is stopped here, its state saved) since <see cref="MovingSince"/>; null when not moving.</summary>
    [Id(12)] public string? MovingTo { get; set; }

    [Id(13)] public DateTimeOffset MovingSince { get; set; }

    /// <summary>
    /// The node a VM arriving live comes from, until it runs here: a failed arrival is never restarted by the restart
    /// policy (the VM still runs on that node, and the move is undone); null otherwise.
    /// </summary>
    [Id(14)] public string? ArrivingFrom { get; set; }

    public bool Exists => Spec is not null && State != VmState.Deleted;
}
