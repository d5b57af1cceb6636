using Formation.Edge;
using Formation.Errors;

namespace Formation.Grains.Abstractions.Tests.Edge;

public sealed class EdgeRouteRulesTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(80)]
    [InlineData(1023)]
    [InlineData(65536)]
    public void RequireTcpListenPort_OutOfRange_SaysTheRange(int port)
    {
        var error = Assert.Throws<FormationException>(() => EdgeRouteRules.RequireTcpListenPort(port));
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains($"TCP listen port {port} is out of range: use 1024-65535", error.Message);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(5432)]
    [InlineData(65535)]
    public void RequireTcpListenPort_InRange_Passes(int port) => EdgeRouteRules.RequireTcpListenPort(port);

    [Fact]
    public void Balance_ParsesItsNames_RefusesOthers_AndNamesBack()
    {
        Assert.Equal(EdgeBalance.RoundRobin, EdgeRouteRules.ParseBalance("round-robin"));
        Assert.Equal(EdgeBalance.LeastRequests, EdgeRouteRules.ParseBalance(" Least-Requests "));
        Assert.All(Enum.GetValues<EdgeBalance>(), b => Assert.Equal(b, EdgeRouteRules.ParseBalance(EdgeRouteRules.BalanceName(b))));
        Assert.Contains("use round-robin or least-requests", Assert.Throws<FormationException>(() => EdgeRouteRules.ParseBalance("random")).Message);
        Assert.Throws<FormationException>(() => EdgeRouteRules.RequireBalance((EdgeBalance)7));
    }
}
