namespace Formation.Vms;

/// <summary>
/// A disk hot-added to a VM (<c>form vm disk add</c>), beyond the root disk of its image: a sparse raw file of
/// <see cref="SizeMiB"/> in the VM's directory on its node, seen by the guest as a virtio disk whose serial is
/// <see cref="Id"/> (<c>/sys/block/vdX/serial</c>). Recorded in the VM's spec, so a restart keeps it.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.vm-disk")]
public sealed record VmDisk(
    [property: Id(0)] string Id,
    [property: Id(1)] long SizeMiB);
