using Formation.Errors;
using Formation.Grains.Scheduling;
using Formation.Nodes;
using Formation.Scheduling;

namespace Formation.Grains.Tests.Scheduling;

public sealed class BuildPlacementPolicyTests
{
    private static NodeStatus Node(string id, NodeHealth health = NodeHealth.Healthy, long reservedDiskGiB = 10) => new(
        new NodeInfo(id, id, 4, 8192, 100, false, "-", "sim", "-", "", $"10.0.0.{id.Length}:30000", new NodeCapacity(16, 8192, 100),
            DateTimeOffset.UnixEpoch, "1", "embedded"),
        health, DateTimeOffset.UnixEpoch, new NodeCapacity(0, 0, reservedDiskGiB), 0);

    private static readonly NodeStatus[] Nodes =
        [Node("a", reservedDiskGiB: 50), Node("bb", reservedDiskGiB: 40), Node("ccc", reservedDiskGiB: 10), Node("dddd", NodeHealth.Unhealthy, 0)];

    [Fact]
    public void Choose_NoPreference_TakesTheMostFreeDisk_AmongHealthyNodes()
    {
        Assert.Equal("ccc", BuildPlacementPolicy.Choose(Nodes, new BuildPlacementRequest("web:latest"), []));
    }

    [Fact]
    public void Choose_PrefersTheGatewaysNode_OverFreeDisk()
    {
        Assert.Equal("bb", BuildPlacementPolicy.Choose(Nodes, new BuildPlacementRequest("web:latest", Gateway: "10.0.0.2:30000"), []));
    }

    [Fact]
    public void Choose_PrefersANodeHoldingTheImage_OverGatewayAndDisk()
    {
        var chosen = BuildPlacementPolicy.Choose(Nodes, new BuildPlacementRequest("web:latest", Gateway: "10.0.0.2:30000"), ["a"]);
        Assert.Equal("a", chosen);
    }

    [Fact]
    public void Choose_IgnoresAnUnhealthyHolder()
    {
        Assert.Equal("ccc", BuildPlacementPolicy.Choose(Nodes, new BuildPlacementRequest("web:latest"), ["dddd"]));
    }

    [Fact]
    public void Choose_RequestedNode_WinsWhenHealthy_AndIsRefusedOtherwise()
    {
        Assert.Equal("a", BuildPlacementPolicy.Choose(Nodes, new BuildPlacementRequest("web:latest", Node: "a"), ["ccc"]));
        var unhealthy = Assert.Throws<FormationException>(() => BuildPlacementPolicy.Choose(Nodes, new BuildPlacementRequest("web:latest", Node: "dddd"), []));
        Assert.Contains("Unhealthy", unhealthy.Message);
        var missing = Assert.Throws<FormationException>(() => BuildPlacementPolicy.Choose(Nodes, new BuildPlacementRequest("web:latest", Node: "zz"), []));
        Assert.Contains("No node 'zz'", missing.Message);
    }

    [Fact]
    public void Choose_NoHealthyNode_SaysSo()
    {
        var error = Assert.Throws<FormationException>(() => BuildPlacementPolicy.Choose([Node("x", NodeHealth.Unhealthy)], new BuildPlacementRequest("web:latest"), []));
        Assert.Equal(ErrorKind.NodeUnavailable, error.Kind);
    }
}
