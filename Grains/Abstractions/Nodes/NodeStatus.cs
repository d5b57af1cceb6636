namespace Formation.Nodes;

/// <summary>A node as the scheduler sees it: what it reported, what is reserved on it, how healthy it is.</summary>
/// <param name="Load">Its measured load as its last heartbeat carried it; null until it sent one (or it collects no metrics).</param>
[GenerateSerializer, Immutable]
[Alias("formation.node-status")]
public sealed record NodeStatus(
    [property: Id(0)] NodeInfo Info,
    [property: Id(1)] NodeHealth Health,
    [property: Id(2)] DateTimeOffset LastHeartbeat,
    [property: Id(3)] NodeCapacity Reserved,
    [property: Id(4)] int VmCount,
    [property: Id(5)] NodeLoad? Load = null,
    [property: Id(6)] DateTimeOffset? Revoked = null,
    [property: Id(7)] bool Drained = false)
{
    public string NodeId => Info.NodeId;

    public NodeCapacity Free => Info.Allocatable - Reserved;
}
