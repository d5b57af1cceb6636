namespace Formation.Dashboard.Components.Shared.Metrics;

/// <summary>One chart of a metrics history: what it shows, its current value for people, and its lines.</summary>
/// <param name="Key">A stable name for the chart (<c>cpu</c>, <c>memory</c>, <c>network</c>, ...), for tests and styles.</param>
/// <param name="Current">The latest sample as <c>form top</c> writes it, e.g. <c>12.5% of 4 CPUs</c>.</param>
public sealed record MetricChart(string Key, string Title, string Current, MetricUnit Unit, IReadOnlyList<MetricLine> Lines)
{
    /// <summary>How many samples the chart draws (every line has one value per sample).</summary>
    public int Samples => Lines.Count == 0 ? 0 : Lines[0].Values.Count;

    /// <summary>A value on this chart's axis: <c>25%</c>, <c>1.5 GiB</c>, <c>12 KiB/s</c>, <c>0.52</c>.</summary>
    public string Format(double value) => Unit switch
    {
        MetricUnit.Percent => $"{value:0.#}%",
        MetricUnit.Bytes => Display.Units.Bytes((long)Math.Round(value)),
        MetricUnit.BytesPerSecond => Display.MetricsCells.Rate(value),
        _ => $"{value:0.##}",
    };
}
