using Formation.Nodes;

namespace Formation.Grains.Scheduling;

/// <summary>A node as the placement policy sees it.</summary>
public readonly record struct PlacementCandidate(string NodeId, NodeCapacity Allocatable, NodeCapacity Reserved, bool Healthy)
{
    public NodeCapacity Free => Allocatable - Reserved;
}
