using Formation.Edge;
using Formation.Silo.Edge;

namespace Formation.Silo.Tests.Edge;

public sealed class EdgeTableTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-01-01T00:00:00Z");

    [Fact]
    public void Order_LeastRequests_FollowsTheLeasesInFlight()
    {
        var table = new EdgeTable(TimeProvider.System);
        table.Replace([(new EdgeRoute("lr.test", "svc", 80, Now, Balance: EdgeBalance.LeastRequests), ["http://a/", "http://b/"])]);
        Assert.True(table.TryGet("lr.test", out var pool));

        using var first = table.Begin(table.Order(pool)[0]);
        using var second = table.Begin(table.Order(pool)[0]);
        Assert.Equal(1, table.InFlightTo("http://a/"));
        Assert.Equal(1, table.InFlightTo("http://b/")); // the second went to the idle one, not in turn

        var third = table.Begin("http://a/");
        Assert.Equal("http://b/", table.Order(pool)[0]);
        Assert.Equal("http://b/", table.Order(pool)[0]); // still: a has two, b one
        third.Dispose();
        third.Dispose(); // once only
        Assert.Equal(1, table.InFlightTo("http://a/"));
    }

    [Fact]
    public void Order_RoundRobin_AlternatesWhateverIsInFlight_AndSkipsAFailedOne()
    {
        var table = new EdgeTable(TimeProvider.System);
        table.Replace([(new EdgeRoute("rr.test", "svc", 80, Now), ["http://a/", "http://b/"])]);
        Assert.True(table.TryGet("rr.test", out var pool));
        using var busy = table.Begin("http://a/");
        var firsts = Enumerable.Range(0, 4).Select(_ => table.Order(pool)[0]).ToList();
        Assert.Equal(2, firsts.Count(f => f == "http://a/"));

        table.MarkFailed("http://b/", TimeSpan.FromMinutes(1));
        Assert.All(Enumerable.Range(0, 4), _ => Assert.Equal(["http://a/", "http://b/"], table.Order(pool)));
    }

    [Fact]
    public void ReplaceTcp_KeepsAnUnchangedPool_ReplacesAChangedOne_AndTellsTheProxy()
    {
        var table = new EdgeTable(TimeProvider.System);
        var told = 0;
        table.TcpRoutesReplaced += () => told++;
        var route = new EdgeTcpRoute(5432, "db", 5432, Now);
        table.ReplaceTcp([(route, ["10.0.0.2:5432"])]);
        Assert.True(table.TryGetTcp(5432, out var pool));
        table.ReplaceTcp([(route, ["10.0.0.2:5432"])]);
        Assert.True(table.TryGetTcp(5432, out var same));
        Assert.Same(pool, same);
        table.ReplaceTcp([(route with { Balance = EdgeBalance.LeastRequests }, ["10.0.0.2:5432"])]);
        Assert.True(table.TryGetTcp(5432, out var changed));
        Assert.NotSame(pool, changed);
        Assert.Equal(EdgeBalance.LeastRequests, changed.Balance);
        table.ReplaceTcp([]);
        Assert.False(table.TryGetTcp(5432, out _));
        Assert.Equal(4, told);
    }

    [Fact]
    public void Replace_ForgetsTheCountersOfGoneDestinations_NotOfBusyOnes()
    {
        var table = new EdgeTable(TimeProvider.System);
        var route = new EdgeRoute("gone.test", "svc", 80, Now);
        table.Replace([(route, ["http://old/", "http://busy/"])]);
        table.Begin("http://old/").Dispose();
        var busy = table.Begin("http://busy/");
        Assert.Equal(2, table.CountedDestinations);
        table.Replace([(route, ["http://new/"])]);
        Assert.Equal(1, table.CountedDestinations); // old is forgotten; busy is still counted, its request is in flight
        Assert.Equal(1, table.InFlightTo("http://busy/"));
        busy.Dispose();
        table.Replace([(route, ["http://new/"])]);
        Assert.Equal(0, table.CountedDestinations);
    }
}
