namespace Formation.Vms;

/// <summary>
/// What a node's hypervisor host observed about a VM: its state, why, its network address and published ports, and
/// whether the change was unexpected (not the outcome of a request) — which is what restart policies act on.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.host-report")]
public sealed record HostReport(
    [property: Id(0)] VmState State,
    [property: Id(1)] string? Reason,
    [property: Id(2)] string? Address = null,
    [property: Id(3)] IReadOnlyList<string>? Ports = null,
    [property: Id(4)] bool Unexpected = false);
