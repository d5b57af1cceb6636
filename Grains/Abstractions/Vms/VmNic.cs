namespace Formation.Vms;

/// <summary>
/// A network interface hot-added to a VM (<c>form vm nic add</c>), beyond its first: a TAP on its node's bridge with its
/// own <see cref="Mac"/> and its own <see cref="Address"/> from the node's pool (the node's bridge guard admits one MAC with
/// one address per TAP, so a second interface is a second identity, not a second door for the first). Recorded in the
/// VM's spec, so a restart keeps it; MAC and address are the node's to give and stay the same for the NIC's life.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.vm-nic")]
public sealed record VmNic(
    [property: Id(0)] string Id,
    [property: Id(1)] string? Mac = null,
    [property: Id(2)] string? Address = null);
