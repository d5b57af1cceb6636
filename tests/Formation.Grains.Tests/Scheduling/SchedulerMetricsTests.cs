using System.Diagnostics;
using Formation.Errors;
using Formation.Grains.Metrics;
using Formation.Grains.Scheduling;
using Formation.Testing;

namespace Formation.Grains.Tests.Scheduling;

public sealed class SchedulerMetricsTests : IDisposable
{
    private readonly MeterRecorder _meters = new();

    public void Dispose() => _meters.Dispose();

    [Fact]
    public void Placed_RecordsItsDurationInSecondsWithKindAndOutcome()
    {
        var metrics = new SchedulerMetrics(_meters);
        var started = Stopwatch.GetTimestamp() - Stopwatch.Frequency / 100; // 10 ms ago

        metrics.Placed("vm", "placed", started);
        metrics.Placed("build", "no_capacity", Stopwatch.GetTimestamp());

        var recorded = _meters.Of("formation.scheduler.placement.duration");
        Assert.Equal(2, recorded.Count);
        Assert.Equal("s", recorded[0].Unit);
        Assert.Equal(("vm", "placed"), (recorded[0].Tag("formation.placement.kind"), recorded[0].Tag("formation.placement.outcome")));
        Assert.InRange(recorded[0].Value, 0.01, 5);
        Assert.Equal(("build", "no_capacity"), (recorded[1].Tag("formation.placement.kind"), recorded[1].Tag("formation.placement.outcome")));
    }

    [Fact]
    public void Outcome_OfAnError_IsItsKindAsALabel()
    {
        Assert.Equal("no_capacity", SchedulerMetrics.Outcome(new FormationException(ErrorKind.NoCapacity, "full")));
        Assert.Equal("node_unavailable", SchedulerMetrics.Outcome(new FormationException(ErrorKind.NodeUnavailable, "down")));
        Assert.Equal("invalid_argument", SchedulerMetrics.Outcome(FormationException.Invalid("bad")));
        Assert.Equal("error", SchedulerMetrics.Outcome(new TimeoutException()));
    }

    [Fact]
    public void Label_TurnsPascalCaseIntoSnakeCase()
    {
        Assert.Equal("request_timed_out", FabricMeter.Label("RequestTimedOut"));
        Assert.Equal("request", FabricMeter.Label("Request"));
    }
}
