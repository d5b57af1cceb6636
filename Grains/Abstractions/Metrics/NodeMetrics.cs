namespace Formation.Metrics;

/// <summary>A node's recent samples, oldest first, <see cref="Interval"/> apart (gaps where the silo was down).</summary>
[GenerateSerializer, Immutable]
[Alias("formation.node-metrics")]
public sealed record NodeMetrics(
    [property: Id(0)] string NodeId,
    [property: Id(1)] TimeSpan Interval,
    [property: Id(2)] IReadOnlyList<NodeMetricsPoint> Points)
{
    public NodeMetricsPoint? Latest => Points.Count == 0 ? null : Points[^1];
}
