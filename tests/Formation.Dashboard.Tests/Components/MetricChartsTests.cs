using Formation.Dashboard.Components.Shared.Metrics;
using Formation.Metrics;
using Formation.Vms;

namespace Formation.Dashboard.Tests.Components;

/// <summary>How a history becomes charts: which lines, in which unit, and that the node's rates are shown as it computed them.</summary>
public sealed class MetricChartsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 18, 0, 0, TimeSpan.Zero);

    [Fact]
    public void OfNode_Samples_EachChartHasOneValuePerSampleAtItsTime()
    {
        var history = new NodeMetrics("edge-1", TimeSpan.FromSeconds(10),
        [
            FakeFormation.NodeSample(T0, 0.25),
            FakeFormation.NodeSample(T0.AddSeconds(10), 0.75) with { NetworkReceiveBytesPerSecond = 5000, DiskWriteBytesPerSecond = 123.5 },
        ]);

        var charts = MetricCharts.Of(history).ToDictionary(c => c.Key);

        Assert.Equal([25.0, 75.0], Values(charts["cpu"], "busy"));
        Assert.Equal([T0, T0.AddSeconds(10)], charts["cpu"].Lines[0].Values.Select(v => v.At));
        Assert.Equal([2.0 * (1 << 30), 2.0 * (1 << 30)], Values(charts["memory"], "used"));
        Assert.Equal([6.0 * (1 << 30), 6.0 * (1 << 30)], Values(charts["memory"], "available")); // total less used
        Assert.Equal([1024, 5000], Values(charts["network"], "receive")); // the node's rates, not derived again
        Assert.Equal([0, 123.5], Values(charts["disk"], "write"));
        Assert.Equal([0.5, 0.5], Values(charts["load"], "load"));
        Assert.Equal("75.0% of 4 CPUs", charts["cpu"].Current);
    }

    [Fact]
    public void OfVm_RestartedVm_ShowsTheNodesNonNegativeUtilisationAndItsGrowingCpuSeconds()
    {
        // What the node's history holds across a restart of the VM process (see VmTrack): CPU seconds keep growing.
        var history = new VmMetrics("vm-1", "web-1", "edge-1", VmState.Running, 1, 256,
        [
            new VmMetricsPoint(T0, 0.5, 40, 64L << 20, 0, 0, 10, 20),
            new VmMetricsPoint(T0.AddSeconds(10), 0.2, 42, 32L << 20, 0, 0, 0, 0),
        ]);

        var charts = MetricCharts.Of(history).ToDictionary(c => c.Key);

        Assert.Equal([50.0, 20.0], Values(charts["cpu"], "busy"));
        Assert.Equal("20.0% of 1 vCPU (42 s in all)", charts["cpu"].Current);
        Assert.Equal([64.0 * (1 << 20), 32.0 * (1 << 20)], Values(charts["memory"], "resident"));
        Assert.Equal("32 MiB of 256 MiB", charts["memory"].Current);
    }

    [Fact]
    public void Of_HistoryWithoutSamples_HasNoCharts()
    {
        Assert.Empty(MetricCharts.Of(new NodeMetrics("edge-1", TimeSpan.FromSeconds(10), [])));
        Assert.Empty(MetricCharts.Of(new VmMetrics("vm-1", "web-1", "edge-1", VmState.Running, 1, 256, [])));
    }

    [Theory]
    [InlineData(MetricUnit.Percent, 37.54, "37.5%")]
    [InlineData(MetricUnit.Bytes, 1536.0 * 1024 * 1024, "1.5 GiB")]
    [InlineData(MetricUnit.BytesPerSecond, 12 * 1024, "12 KiB/s")]
    [InlineData(MetricUnit.Number, 0.524, "0.52")]
    public void Format_Unit_ReadsAsTheCurrentValueDoes(MetricUnit unit, double value, string expected) =>
        Assert.Equal(expected, new MetricChart("x", "X", "", unit, []).Format(value));

    [Fact]
    public void NoSamples_SaysTheNodesOwnInterval() =>
        Assert.Equal("No samples yet (the node samples every 2.5 s).", MetricsView.NoSamples(TimeSpan.FromSeconds(2.5)).Absent);

    private static double[] Values(MetricChart chart, string line) => [.. chart.Lines.Single(l => l.Name == line).Values.Select(v => v.Value)];
}
