namespace Formation.Dashboard.Components.Shared.Metrics;

/// <summary>What a chart's values are, so its axis reads as the current value does.</summary>
public enum MetricUnit
{
    /// <summary>A percentage, 0–100 (a VM may go a little over: its VMM's own threads count too).</summary>
    Percent,

    /// <summary>Bytes.</summary>
    Bytes,

    /// <summary>Bytes per second.</summary>
    BytesPerSecond,

    /// <summary>A plain number (load).</summary>
    Number,
}
