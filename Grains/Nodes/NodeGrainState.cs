using Formation.Nodes;

namespace Formation.Grains.Nodes;

[GenerateSerializer]
[Alias("formation.node-grain-state")]
public sealed class NodeGrainState
{
    [Id(0)] public NodeInfo? Info { get; set; }

    [Id(1)] public NodeMesh? Mesh { get; set; }
}
