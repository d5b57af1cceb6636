using Formation.Nodes;

namespace Formation.Grains.Scheduling;

/// <summary>The nodes the scheduler knows (written when a node registers or leaves, not on heartbeats).</summary>
[GenerateSerializer]
[Alias("formation.scheduler-nodes")]
public sealed class SchedulerNodesState
{
    [Id(0)] public Dictionary<string, NodeInfo> Nodes { get; set; } = [];

    [Id(1)] public HashSet<string> Left { get; set; } = [];
}
