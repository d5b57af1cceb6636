using Formation.Nodes;

namespace Formation.Scheduling;

/// <summary>
/// Ask the scheduler for room for one VM, optionally on a given node, preferring <see cref="PreferredNodes"/> (the
/// nodes that already hold the VM's image) when one of them has room, and avoiding <see cref="SpreadFrom"/> (the nodes
/// that already run a replica of the same service) whenever another node has room: that comes before the preference.
/// <see cref="Owner"/> is the account the VM counts against (its quota); the scheduler takes it only from an admin
/// caller (the catalog runs as the user or the silo) and otherwise charges the caller's own account.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.placement-request")]
public sealed record PlacementRequest(
    [property: Id(0)] string VmId,
    [property: Id(1)] NodeCapacity Resources,
    [property: Id(2)] string? NodeConstraint,
    [property: Id(3)] IReadOnlyList<string>? PreferredNodes = null,
    [property: Id(5)] IReadOnlyList<string>? SpreadFrom = null,
    [property: Id(6)] string? Owner = null);

// Id 4 (a reason for the former hard restriction to AllowedNodes) is retired; do not reuse it.
