namespace Formation.Dashboard.Components.Shared.Metrics;

/// <summary>One named line of a chart (<c>receive</c>, <c>transmit</c>), oldest value first.</summary>
public sealed record MetricLine(string Name, IReadOnlyList<MetricValue> Values);
