using Microsoft.AspNetCore.Components;
using MudBlazor;
using MudBlazor.Charts;

namespace Formation.Dashboard.Components.Shared.Metrics;

/// <summary>Draws a <see cref="MetricChart"/> as a MudBlazor time series, its axis in the chart's unit.</summary>
public sealed partial class MetricChartCard
{
    /// <summary>Two colors that read on the light and the dark theme: the first line, then the second.</summary>
    private static readonly string[] Palette = ["#4a86c5", "#e0883a", "#5aa469"];

    private List<ChartSeries<double>> _series = [];
    private TimeSeriesChartOptions _options = new();

    [Parameter, EditorRequired]
    public MetricChart Chart { get; set; } = null!;

    protected override void OnParametersSet()
    {
        _series = [.. Chart.Lines.Select(line => new ChartSeries<double>
        {
            Name = line.Name,
            Data = line.Values.Select(v => new TimeValue<double>(v.At.LocalDateTime, v.Value)).ToArray(),
            Visible = true,
        })];
        var span = Chart.Lines.Count == 0 || Chart.Samples < 2 ? TimeSpan.Zero : Chart.Lines[0].Values[^1].At - Chart.Lines[0].Values[0].At;
        _options = new TimeSeriesChartOptions
        {
            ChartPalette = Palette,
            ShowLegend = Chart.Lines.Count > 1,
            ShowDataMarkers = Chart.Samples < 3, // one or two samples draw no visible line
            LineStrokeWidth = 2,
            YAxisRequireZeroPoint = true,
            ClampToZero = true,
            MaxNumYAxisTicks = 5,
            YAxisToStringFunc = Chart.Format,
            XAxisLines = false,
            TimeLabelFormat = "HH:mm",
            TimeLabelSpacing = span > TimeSpan.FromMinutes(20) ? TimeSpan.FromMinutes(10) : span > TimeSpan.FromMinutes(5) ? TimeSpan.FromMinutes(2) : TimeSpan.FromMinutes(1),
            TooltipTimeLabelFormat = "HH:mm:ss",
        };
    }
}
