using Formation.Nodes;

namespace Formation.Grains.Scheduling;

/// <summary>Resources held for one VM on one node.</summary>
public sealed record Reservation(string NodeId, NodeCapacity Resources);
