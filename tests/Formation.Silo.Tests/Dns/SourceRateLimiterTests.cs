using System.Net;
using Formation.Silo.Dns;

namespace Formation.Silo.Tests.Dns;

public sealed class SourceRateLimiterTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks { get; set; } = 1_000_000;

        public override long TimestampFrequency => 1_000_000;

        public override long GetTimestamp() => Ticks;
    }

    private static readonly IPAddress One = IPAddress.Parse("10.77.1.2");
    private static readonly IPAddress Two = IPAddress.Parse("10.77.1.3");

    [Fact]
    public void Burst_ThenRate_PerSource()
    {
        var clock = new ManualClock();
        var limiter = new SourceRateLimiter(10, 5, 100, clock);

        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => limiter.TryTake(One)));
        Assert.True(limiter.TryTake(Two), "another source has its own bucket");

        clock.Ticks += 500_000; // half a second: 5 more tokens
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => limiter.TryTake(One)));
        Assert.Equal(30, limiter.Dropped);
    }

    [Fact]
    public void FullTable_ForgetsIdleSources_ElseNewOnesShareOneBucket()
    {
        var clock = new ManualClock();
        var limiter = new SourceRateLimiter(1, 2, 2, clock);
        limiter.TryTake(One);
        limiter.TryTake(Two);

        // Both are tracked and not idle: a third source lands in the shared bucket (2 tokens), and so does a fourth.
        Assert.True(limiter.TryTake(IPAddress.Parse("10.77.1.4")));
        Assert.True(limiter.TryTake(IPAddress.Parse("10.77.1.5")));
        Assert.False(limiter.TryTake(IPAddress.Parse("10.77.1.6")));
        Assert.Equal(2, limiter.TrackedSources);

        clock.Ticks += 10_000_000; // everyone's bucket is full again: the idle are forgotten when room is needed
        Assert.True(limiter.TryTake(IPAddress.Parse("10.77.1.7")));
        Assert.Equal(1, limiter.TrackedSources);
    }

    [Fact]
    public void RateZero_IsOff()
    {
        var limiter = new SourceRateLimiter(0, 1, 1, TimeProvider.System);
        Assert.All(Enumerable.Range(0, 1000), _ => Assert.True(limiter.TryTake(One)));
    }
}
