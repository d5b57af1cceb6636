using Formation.Formfiles;
using Formation.Nodes;

namespace Formation.Vms;

/// <summary>
/// What a user asked for: the VM's shape and where it may run. <see cref="ImageDigest"/> is filled in when the VM is
/// created: the image version the reference named then, which the VM keeps booting even if the tag moves later.
/// <see cref="Console"/> overrides the image's <c>CONSOLE</c> setting for this VM (null: the image's).
/// <see cref="RequestId"/> is the client's idempotency key: a create retried with the same name and request id (after a
/// lost reply or a dead gateway) returns the VM the first attempt made, never a second one.
/// <see cref="NoEgress"/> drops the VM's traffic to anything outside the overlay (VM-to-VM stays); <see cref="Publish"/>
/// forwards ports of the VM's node to the VM. Both were added after specs were first stored: absent fields read as
/// egress on and nothing published. <see cref="Service"/> names the service the VM is a replica of (null for a plain VM):
/// the scheduler spreads a service's replicas over nodes. <see cref="FromSnapshot"/> makes the VM a clone: its first start
/// restores that snapshot (its id, resolved by the catalog) with a new identity instead of booting; later starts boot.
/// <see cref="ExtraDisks"/>, <see cref="ExtraNics"/> and <see cref="BalloonMiB"/> are what was changed on the running VM
/// (hotplug, balloon); the VM grain records them here so a restart, a restore and a re-adoption keep them.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.vm-spec")]
public sealed record VmSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] int VCpus,
    [property: Id(2)] long MemoryMiB,
    [property: Id(3)] long DiskGiB,
    [property: Id(4)] string? Image,
    [property: Id(5)] string? NodeConstraint,
    [property: Id(6)] RestartPolicy Restart = RestartPolicy.Never,
    [property: Id(7)] string? ImageDigest = null,
    [property: Id(8)] ConsoleMode? Console = null,
    [property: Id(9)] string? RequestId = null,
    [property: Id(10)] bool NoEgress = false,
    [property: Id(11)] IReadOnlyList<PortPublish>? Publish = null,
    [property: Id(12)] string? Service = null,
    [property: Id(13)] string? FromSnapshot = null,
    [property: Id(14)] IReadOnlyList<VmDisk>? ExtraDisks = null,
    [property: Id(15)] IReadOnlyList<VmNic>? ExtraNics = null,
    [property: Id(16)] long? BalloonMiB = null)
{
    /// <summary>Disks added to the VM while it ran (<c>form vm disk add</c>); a restart keeps them. None in older specs.</summary>
    public IReadOnlyList<VmDisk> Disks => ExtraDisks ?? [];

    /// <summary>Network interfaces added beyond the first (<c>form vm nic add</c>). None in older specs.</summary>
    public IReadOnlyList<VmNic> Nics => ExtraNics ?? [];

    /// <summary>Memory the balloon leaves the guest (<c>form vm resize</c>), or null: all of <see cref="MemoryMiB"/>.</summary>
    public long MemoryTargetMiB => BalloonMiB ?? MemoryMiB;

    /// <summary>The published ports (none when the spec has none, as in specs stored before <c>--publish</c>).</summary>
    public IReadOnlyList<PortPublish> Ports => Publish ?? [];

    public NodeCapacity Resources => new(VCpus, MemoryMiB, DiskGiB);
}
