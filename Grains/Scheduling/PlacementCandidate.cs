using Formation.Nodes;

namespace Formation.Grains.Scheduling;

/// <summary>A node as the placement policy sees it.</summary>
/// <param name="MeasuredLoad">The node's measured CPU busy share (0–1) from its last heartbeat; null when it sent none.</param>
/// <param name="LoadReceivedAt">When the scheduler received <paramref name="MeasuredLoad"/> (the scheduler's clock).</param>
public readonly record struct PlacementCandidate(
    string NodeId,
    NodeCapacity Allocatable,
    NodeCapacity Reserved,
    bool Healthy,
    double? MeasuredLoad = null,
    DateTimeOffset LoadReceivedAt = default,
    bool Drained = false)
{
    public NodeCapacity Free => Allocatable - Reserved;
}
