using Formation.Edge;

namespace Formation.Grains.Tests.Edge;

/// <summary>
/// The question a draining service asks of the edges' reports: has every edge heard from lately swapped in a version of
/// the service from after the drain began? An edge that lags holds the drain; one that does not route the service, or
/// has not reported for <see cref="EdgeViews.Forget"/>, does not.
/// </summary>
public sealed class EdgeViewsTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    private sealed class Clock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = Start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void ADrainWaitsForTheEdgeThatStillRoutesByAnOlderVersion()
    {
        var clock = new Clock();
        var views = new EdgeViews(clock);
        var drainBegan = Start.AddSeconds(-1);
        views.Refreshed("n1", new Dictionary<string, DateTimeOffset> { ["web"] = drainBegan, ["other"] = Start.AddMinutes(-5) });
        views.Refreshed("n2", new Dictionary<string, DateTimeOffset> { ["web"] = drainBegan.AddSeconds(-30) });

        Assert.False(views.AllReadSince("web", drainBegan));

        views.Refreshed("n2", new Dictionary<string, DateTimeOffset> { ["web"] = drainBegan.AddMilliseconds(1) });
        Assert.True(views.AllReadSince("web", drainBegan));
        Assert.False(views.AllReadSince("other", drainBegan)); // n1 routes "other" by an older version
    }

    [Fact]
    public void AnEdgeThatDoesNotRouteTheService_OrWasNotHeardFromLately_DoesNotHoldTheDrain()
    {
        var clock = new Clock();
        var views = new EdgeViews(clock);
        Assert.True(views.AllReadSince("web", Start)); // no edge known (a fresh activation): the fixed drain time alone

        views.Refreshed("routes-nothing", new Dictionary<string, DateTimeOffset>());
        views.Refreshed("lagging", new Dictionary<string, DateTimeOffset> { ["web"] = Start.AddSeconds(-10) });
        Assert.False(views.AllReadSince("web", Start));

        clock.Now = Start + EdgeViews.Forget + TimeSpan.FromMilliseconds(1);
        Assert.True(views.AllReadSince("web", Start)); // its node stopped reporting: gone or cut off
        views.Refreshed("lagging", new Dictionary<string, DateTimeOffset> { ["web"] = Start.AddSeconds(-10) });
        Assert.False(views.AllReadSince("web", Start)); // back, and still behind
    }
}
