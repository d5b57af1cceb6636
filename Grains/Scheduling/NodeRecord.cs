using Formation.Nodes;

namespace Formation.Grains.Scheduling;

/// <summary>What the scheduler persists per node: its last registration and whether it left cleanly.</summary>
public sealed record NodeRecord(NodeInfo Info, bool Left);
