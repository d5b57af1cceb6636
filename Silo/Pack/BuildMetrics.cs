using System.Diagnostics.Metrics;
using Formation.Grains.Metrics;

namespace Formation.Silo.Pack;

/// <summary>
/// Image builds on the fabric meter: each build's duration by outcome (<c>succeeded</c>, <c>failed</c>,
/// <c>canceled</c>; its count is the number of builds), and each build step's layer cache lookup (<c>hit</c>: the layer
/// was there and the step did no work, <c>miss</c>: the step ran).
/// </summary>
public sealed class BuildMetrics
{
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _layers;

    public BuildMetrics(IMeterFactory meters)
    {
        var meter = FabricMeter.Create(meters);
        _duration = FabricMeter.Seconds(meter, "formation.build.duration", "Image builds on this node, from request to registered image", FabricMeter.SlowSeconds);
        _layers = meter.CreateCounter<long>("formation.build.layers", "{layer}", "Build steps by layer cache result (hit or miss)");
    }

    public void Built(string outcome, TimeSpan elapsed) =>
        _duration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("formation.build.outcome", outcome));

    public void Layer(bool hit) =>
        _layers.Add(1, new KeyValuePair<string, object?>("formation.build.layer.cache", hit ? "hit" : "miss"));
}
