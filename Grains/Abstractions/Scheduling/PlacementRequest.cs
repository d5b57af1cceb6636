using Formation.Nodes;

namespace Formation.Scheduling;

/// <summary>Ask the scheduler for room for one VM, optionally on a given node and only among <see cref="AllowedNodes"/>.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.placement-request")]
public sealed record PlacementRequest(
    [property: Id(0)] string VmId,
    [property: Id(1)] NodeCapacity Resources,
    [property: Id(2)] string? NodeConstraint,
    [property: Id(3)] IReadOnlyList<string>? AllowedNodes = null,
    [property: Id(4)] string? AllowedNodesReason = null);
