using System.Diagnostics;
using System.Diagnostics.Metrics;
using Formation.Errors;
using Formation.Grains.Metrics;

namespace Formation.Grains.Scheduling;

/// <summary>
/// The scheduler's instrument on the fabric meter: how long each placement took, storage write included, by kind
/// (<c>vm</c>, <c>build</c>) and outcome (<c>placed</c>, <c>repeated</c> for a retried create that finds its
/// reservation, else the error kind such as <c>no_capacity</c>). Its count is the number of placements.
/// </summary>
public sealed class SchedulerMetrics
{
    private readonly Histogram<double> _duration;

    public SchedulerMetrics(IMeterFactory meters)
    {
        var meter = FabricMeter.Create(meters);
        _duration = FabricMeter.Seconds(meter, "formation.scheduler.placement.duration",
            "Time the scheduler took to answer a placement, its storage write included", FabricMeter.FastSeconds);
    }

    /// <summary>Records one placement that started at <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void Placed(string kind, string outcome, long started)
    {
        var tags = new TagList { { "formation.placement.kind", kind }, { "formation.placement.outcome", outcome } };
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
    }

    /// <summary>The outcome label of a placement that threw <paramref name="error"/>.</summary>
    public static string Outcome(Exception error) =>
        error is FormationException f ? FabricMeter.Label(f.Kind.ToString()) : "error";
}
