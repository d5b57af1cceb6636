namespace Formation.Dashboard.Components.Shared.Metrics;

/// <summary>One value of a line, at the time of its sample.</summary>
public readonly record struct MetricValue(DateTimeOffset At, double Value);
