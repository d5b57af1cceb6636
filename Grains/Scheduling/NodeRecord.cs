using Formation.Nodes;

namespace Formation.Grains.Scheduling;

/// <summary>What the scheduler persists per node: its last registration, whether it left cleanly, and whether an admin drained it (no new VMs).</summary>
public sealed record NodeRecord(NodeInfo Info, bool Left, bool Drained = false);
