using Formation.Errors;
using Formation.Grains.Scheduling;
using Formation.Nodes;

namespace Formation.Grains.Tests.Scheduling;

/// <summary>The placement policy's preference for nodes with a lower measured load, after its hard rules and the preferences that win over it.</summary>
public sealed class PlacementPolicyLoadTests
{
    private static readonly NodeCapacity Big = new(16, 32768, 500);
    private static readonly NodeCapacity Small = new(1, 256, 1);
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 18, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private static PlacementCandidate Node(string id, double? load, NodeCapacity? reserved = null, TimeSpan? age = null, NodeCapacity? total = null) =>
        new(id, total ?? Big, reserved ?? NodeCapacity.Zero, true, load, Now - (age ?? TimeSpan.FromSeconds(2)));

    private static string Choose(PlacementCandidate[] nodes, IReadOnlyList<string>? preferred = null, IReadOnlyList<string>? spreadFrom = null) =>
        PlacementPolicy.Choose(nodes, Small, null, preferred, spreadFrom, Now, MaxAge);

    [Fact]
    public void Choose_SameRoom_BusyNodeLosesToIdleOne()
    {
        // "a-busy" would win the tie by node id: the measurement is what decides.
        Assert.Equal("b-idle", Choose([Node("a-busy", 0.92), Node("b-idle", 0.04)]));
    }

    [Fact]
    public void Choose_IdleNodeWithMoreReservations_StillWinsOverABusyOne()
    {
        // By reservations alone "busy" (nothing reserved) would win.
        Assert.Equal("idle", Choose([Node("busy", 0.9), Node("idle", 0.05, reserved: new NodeCapacity(8, 8192, 100))]));
    }

    [Fact]
    public void Choose_IdleNodeWithoutRoom_NeverWins()
    {
        var nodes = new[] { Node("full-idle", 0.0, reserved: new NodeCapacity(16, 1024, 10)), Node("busy", 0.99) };

        Assert.Equal("busy", Choose(nodes));
        var error = Assert.Throws<FormationException>(() => PlacementPolicy.Choose(nodes, Small, "full-idle", null, null, Now, MaxAge));
        Assert.Equal(ErrorKind.NoCapacity, error.Kind);
    }

    [Fact]
    public void Choose_UnhealthyIdleNode_NeverWins()
    {
        var nodes = new[] { new PlacementCandidate("down-idle", Big, NodeCapacity.Zero, false, 0.0, Now), Node("busy", 0.99) };

        Assert.Equal("busy", Choose(nodes));
    }

    [Fact]
    public void Choose_StaleFigure_IsIgnored()
    {
        // The busy figure is older than the maximum age: both count as unknown and reservations decide ("a-stale" has less).
        var stale = new[] { Node("a-stale", 0.95, age: MaxAge + TimeSpan.FromSeconds(1)), Node("b", 0.05, reserved: new NodeCapacity(4, 1024, 10)) };
        Assert.Equal("a-stale", Choose(stale));

        // The same figure while it is fresh loses.
        var fresh = new[] { Node("a-stale", 0.95, age: MaxAge), Node("b", 0.05, reserved: new NodeCapacity(4, 1024, 10)) };
        Assert.Equal("b", Choose(fresh));
    }

    [Fact]
    public void Choose_FigureFromTheFuture_IsIgnored()
    {
        var nodes = new[] { Node("a-busy", 0.95, age: TimeSpan.FromSeconds(-60)), Node("b", 0.05, reserved: new NodeCapacity(4, 1024, 10)) };

        Assert.Equal("a-busy", Choose(nodes));
    }

    [Fact]
    public void Choose_UnknownNode_IsNeutralNotIdle()
    {
        // "unknown" has the least reserved, yet a measured idle node wins over it: unknown is not taken for idle.
        var nodes = new[]
        {
            Node("idle", 0.02, reserved: new NodeCapacity(8, 8192, 100)),
            Node("unknown", null),
            Node("busy", 0.9, reserved: new NodeCapacity(2, 1024, 10)),
        };
        Assert.Equal("idle", Choose(nodes));
    }

    [Fact]
    public void Choose_UnknownAgainstOneMeasuredNode_ReservationsDecide()
    {
        // Unknown counts as loaded like the average measured candidate: neither better nor worse than the only one.
        Assert.Equal("busy", Choose([Node("unknown", null, reserved: new NodeCapacity(4, 4096, 50)), Node("busy", 0.9)]));
        Assert.Equal("unknown", Choose([Node("unknown", null), Node("busy", 0.9, reserved: new NodeCapacity(4, 4096, 50))]));
        Assert.Equal("idle", Choose([Node("unknown", null, reserved: new NodeCapacity(4, 4096, 50)), Node("idle", 0.0)]));
    }

    [Fact]
    public void Choose_NoFigures_PlacesByReservationsAsBefore()
    {
        var nodes = new[] { Node("a", null, reserved: new NodeCapacity(8, 1024, 10)), Node("b", null, reserved: new NodeCapacity(2, 1024, 10)) };

        Assert.Equal("b", Choose(nodes));
    }

    [Fact]
    public void Choose_FiguresWithinOneStep_ReservationsDecide()
    {
        // Several silos on one host measure the same CPUs: a difference below the step is noise.
        var nodes = new[]
        {
            Node("a", 0.30, reserved: new NodeCapacity(8, 1024, 10)),
            Node("b", 0.30 + PlacementPolicy.LoadStep * 0.9, reserved: new NodeCapacity(2, 1024, 10)),
        };

        Assert.Equal("b", Choose(nodes));
    }

    [Fact]
    public void Choose_LoadMaxAgeZero_IgnoresFigures()
    {
        var nodes = new[] { Node("a-busy", 0.95), Node("b-idle", 0.0, reserved: new NodeCapacity(4, 1024, 10)) };

        Assert.Equal("a-busy", PlacementPolicy.Choose(nodes, Small, null, null, null, Now, TimeSpan.Zero));
        Assert.Equal("b-idle", PlacementPolicy.Choose(nodes, Small, null, null, null, Now, MaxAge));
    }

    [Fact]
    public void Choose_SpreadWinsOverMeasuredLoad()
    {
        Assert.Equal("busy", Choose([Node("idle", 0.0), Node("busy", 0.95)], spreadFrom: ["idle"]));
    }

    [Fact]
    public void Choose_PreferredNodeWinsOverMeasuredLoad()
    {
        Assert.Equal("holder", Choose([Node("holder", 0.95), Node("idle", 0.0)], preferred: ["holder"]));
    }

    [Fact]
    public void Choose_AmongPreferredNodes_TheLessLoadedWins()
    {
        // Measured load is compared only among the nodes of the best rank; the idle non-holder does not count.
        var nodes = new[] { Node("h1", 0.9), Node("h2", 0.4, reserved: new NodeCapacity(8, 1024, 10)), Node("other", 0.0) };

        Assert.Equal("h2", Choose(nodes, preferred: ["h1", "h2"]));
    }

    [Fact]
    public void Choose_NotFiniteFigure_CountsAsUnknown()
    {
        var nodes = new[] { Node("a", double.NaN), Node("b", 0.1, reserved: new NodeCapacity(4, 1024, 10)) };

        Assert.Equal("a", Choose(nodes));
    }
}
