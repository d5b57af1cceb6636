using Formation.Edge;
using Formation.Silo.Edge;

namespace Formation.Silo.Tests.Edge;

public sealed class EdgeBalancerTests
{
    private static readonly string[] Three = ["a", "b", "c"];

    [Fact]
    public void Order_RoundRobin_RotatesFromStart_UnhealthyLast()
    {
        Assert.Equal(["b", "c", "a"], EdgeBalancer.Order(Three, 1, EdgeBalance.RoundRobin, _ => true, _ => 0));
        Assert.Equal(["c", "a", "b"], EdgeBalancer.Order(Three, 2, EdgeBalance.RoundRobin, d => d != "b", _ => 0));
        Assert.Equal(["a", "b", "c"], EdgeBalancer.Order(Three, 0, EdgeBalance.RoundRobin, _ => true, d => d == "a" ? 50 : 0));
    }

    [Fact]
    public void Order_LeastRequests_FewestInFlightFirst_TiesInTurn_UnhealthyLastEvenIfIdle()
    {
        var load = new Dictionary<string, int> { ["a"] = 3, ["b"] = 1, ["c"] = 1 };
        Assert.Equal(["b", "c", "a"], EdgeBalancer.Order(Three, 0, EdgeBalance.LeastRequests, _ => true, d => load[d]));
        Assert.Equal(["c", "b", "a"], EdgeBalancer.Order(Three, 2, EdgeBalance.LeastRequests, _ => true, d => load[d]));
        load["c"] = 0;
        Assert.Equal(["b", "a", "c"], EdgeBalancer.Order(Three, 0, EdgeBalance.LeastRequests, d => d != "c", d => load[d]));
    }

    [Fact]
    public void Order_EmptyOrSingle_IsWhatThereIs()
    {
        Assert.Empty(EdgeBalancer.Order([], 0, EdgeBalance.LeastRequests, _ => true, _ => 0));
        Assert.Equal(["x"], EdgeBalancer.Order(["x"], 5, EdgeBalance.LeastRequests, _ => false, _ => 9));
    }
}
