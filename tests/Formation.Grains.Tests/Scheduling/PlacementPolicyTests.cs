using Formation.Errors;
using Formation.Grains.Scheduling;
using Formation.Nodes;

namespace Formation.Grains.Tests.Scheduling;

public sealed class PlacementPolicyTests
{
    private static readonly NodeCapacity Big = new(16, 32768, 500);

    private static PlacementCandidate Node(string id, NodeCapacity reserved, bool healthy = true, NodeCapacity? total = null) =>
        new(id, total ?? Big, reserved, healthy);

    [Fact]
    public void Choose_SeveralFit_PicksTheLeastLoadedAfterPlacement()
    {
        var nodes = new[]
        {
            Node("a", new NodeCapacity(8, 1024, 10)),
            Node("b", new NodeCapacity(2, 20000, 10)),
            Node("c", new NodeCapacity(4, 4096, 100)),
        };

        Assert.Equal("c", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 512, 10), null));
    }

    [Fact]
    public void Choose_SpreadFrom_AvoidsANodeWithAReplicaEvenWhenItIsIdleAndPreferred()
    {
        var nodes = new[] { Node("idle", NodeCapacity.Zero), Node("busy", new NodeCapacity(12, 30000, 400)) };
        Assert.Equal("busy", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), null, ["idle"], ["idle"]));
    }

    [Fact]
    public void Choose_SpreadFrom_EveryNodeWithRoomHasAReplica_StillPlacesOnTheLeastLoaded()
    {
        var nodes = new[] { Node("a", new NodeCapacity(4, 1024, 10)), Node("b", NodeCapacity.Zero), Node("full", Big) };
        Assert.Equal("b", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), null, null, ["a", "b"]));
    }

    [Fact]
    public void Choose_Tie_PicksTheLowestNodeId()
    {
        var nodes = new[] { Node("n2", NodeCapacity.Zero), Node("n1", NodeCapacity.Zero), Node("n3", NodeCapacity.Zero) };
        Assert.Equal("n1", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), null));
    }

    [Fact]
    public void Choose_Constraint_PlacesOnlyOnThatNodeEvenIfBusier()
    {
        var nodes = new[] { Node("idle", NodeCapacity.Zero), Node("busy", new NodeCapacity(12, 30000, 400)) };
        Assert.Equal("busy", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), "busy"));
    }

    [Fact]
    public void Choose_SkipsUnhealthyNodes()
    {
        var nodes = new[] { Node("down", NodeCapacity.Zero, healthy: false), Node("up", new NodeCapacity(15, 0, 0)) };
        Assert.Equal("up", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), null));
    }

    [Fact]
    public void Choose_ExactFit_Succeeds()
    {
        var nodes = new[] { Node("full", new NodeCapacity(15, 32767, 499)) };
        Assert.Equal("full", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 1, 1), null));
    }

    [Fact]
    public void Choose_NothingFits_NamesBestCandidateAndWhatItLacks()
    {
        var nodes = new[]
        {
            Node("small", NodeCapacity.Zero, total: new NodeCapacity(2, 2048, 20)),
            Node("medium", NodeCapacity.Zero, total: new NodeCapacity(4, 6144, 50)),
            Node("gone", NodeCapacity.Zero, healthy: false),
        };

        var error = Assert.Throws<FormationException>(() => PlacementPolicy.Choose(nodes, new NodeCapacity(4, 8192, 40), null));

        Assert.Equal(ErrorKind.NoCapacity, error.Kind);
        Assert.Contains("Best candidate: medium", error.Message);
        Assert.Contains("short of 2048 MiB memory", error.Message);
        Assert.Contains("2 healthy node(s) considered, 1 unhealthy skipped", error.Message);
    }

    [Fact]
    public void Choose_UnknownConstraint_ListsKnownNodes()
    {
        var nodes = new[] { Node("a", NodeCapacity.Zero), Node("b", NodeCapacity.Zero) };
        var error = Assert.Throws<FormationException>(() => PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), "zz"));
        Assert.Contains("no node 'zz' is registered (known: a, b)", error.Message);
    }

    [Fact]
    public void Choose_NoNodes_SaysToStartASilo()
    {
        var error = Assert.Throws<FormationException>(() => PlacementPolicy.Choose([], new NodeCapacity(1, 256, 1), null));
        Assert.Contains("no nodes are registered", error.Message);
    }

    [Fact]
    public void Choose_ConstrainedNodeUnhealthy_SaysSo()
    {
        var nodes = new[] { Node("a", NodeCapacity.Zero, healthy: false), Node("b", NodeCapacity.Zero) };
        var error = Assert.Throws<FormationException>(() => PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), "a"));
        Assert.Contains("the node is not healthy", error.Message);
    }

    [Fact]
    public void Choose_PreferredNodeFits_WinsOverALessLoadedNode()
    {
        var nodes = new[] { Node("holder", new NodeCapacity(12, 20000, 300)), Node("idle", NodeCapacity.Zero) };

        Assert.Equal("holder", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), null, ["holder"]));
    }

    [Fact]
    public void Choose_SeveralPreferredFit_PicksTheLeastLoadedOfThem()
    {
        var nodes = new[]
        {
            Node("h1", new NodeCapacity(8, 1024, 10)),
            Node("free", NodeCapacity.Zero),
            Node("h2", new NodeCapacity(2, 1024, 10)),
        };

        Assert.Equal("h2", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), null, ["h1", "h2"]));
    }

    [Fact]
    public void Choose_PreferredNodeFull_FallsBackToTheLeastLoadedOther()
    {
        var nodes = new[]
        {
            Node("holder", new NodeCapacity(16, 1024, 10)),
            Node("b", new NodeCapacity(4, 1024, 10)),
            Node("c", new NodeCapacity(2, 1024, 10)),
        };

        Assert.Equal("c", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), null, ["holder"]));
    }

    [Fact]
    public void Choose_PreferredNodeUnhealthyOrUnknown_IsIgnored()
    {
        var nodes = new[] { Node("holder", NodeCapacity.Zero, healthy: false), Node("b", NodeCapacity.Zero) };

        Assert.Equal("b", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), null, ["holder", "gone"]));
    }

    [Fact]
    public void Choose_ConstraintOnANodeWithoutTheImage_IsHonoured()
    {
        var nodes = new[] { Node("holder", NodeCapacity.Zero), Node("b", new NodeCapacity(8, 8192, 100)) };

        Assert.Equal("b", PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), "b", ["holder"]));
    }

    [Fact]
    public void Choose_NothingFitsAnywhere_StillExplainsTheBestCandidate()
    {
        var nodes = new[] { Node("holder", new NodeCapacity(16, 1024, 10)) };

        var error = Assert.Throws<FormationException>(() => PlacementPolicy.Choose(nodes, new NodeCapacity(1, 256, 1), null, ["holder"]));

        Assert.Equal(ErrorKind.NoCapacity, error.Kind);
        Assert.Contains("Best candidate: holder", error.Message);
    }
}
