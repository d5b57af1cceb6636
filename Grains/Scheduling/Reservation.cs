using Formation.Nodes;

namespace Formation.Grains.Scheduling;

/// <summary>Resources held for one VM on one node.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.reservation")]
public sealed record Reservation([property: Id(0)] string NodeId, [property: Id(1)] NodeCapacity Resources);
