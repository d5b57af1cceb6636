using Bunit;
using Formation.Dashboard.Components.Pages;
using Formation.Metrics;
using Formation.Nodes;
using Formation.Vms;
using MudBlazor.Interop;
using VmDetailRecord = Formation.LocalApi.VmDetail;

namespace Formation.Dashboard.Tests.Components;

/// <summary>The metrics charts on NodeDetail, VmDetail and the Nodes list, from histories the test supplies.</summary>
public sealed class MetricsPagesTests : DashboardTestContext
{
    private static readonly TimeSpan Ten = TimeSpan.FromSeconds(10);

    public MetricsPagesTests()
    {
        // MudBlazor's time series draws its lines once the browser has measured the chart and its axis labels; answer
        // those two calls as a browser would.
        JSInterop.Setup<ElementSize>("mudObserveElementSize", _ => true).SetResult(new ElementSize { Width = 600, Height = 170, Timestamp = 1 });
        JSInterop.Setup<ElementSize>("mudGetSvgBBox", _ => true).SetResult(new ElementSize { Width = 40, Height = 14, Timestamp = 1 });
    }

    [Fact]
    public void NodeDetail_History_DrawsEachChartWithItsSeriesAndTheCurrentValue()
    {
        Fake.Nodes.Add(FakeFormation.Node("edge-1"));
        Fake.NodeHistory["edge-1"] = FakeFormation.NodeHistoryOf("edge-1", 6, Ten);
        var cut = Render<NodeDetail>(p => p.Add(x => x.Id, "edge-1"));

        cut.WaitForElement("[data-testid=metric-chart]");
        var charts = cut.FindAll("[data-testid=metric-chart]");
        Assert.Equal(["cpu", "load", "memory", "network", "disk"], charts.Select(c => c.GetAttribute("data-metric")));
        Assert.All(charts, c => Assert.Equal("6", c.GetAttribute("data-samples")));
        Assert.Equal("50.0% of 4 CPUs", Current(cut, "cpu"));
        Assert.Equal("2 GiB / 8 GiB used", Current(cut, "memory"));
        Assert.Equal("1 KiB/s / 2 KiB/s in / out", Current(cut, "network"));

        // Each line of a chart is drawn (an SVG path per series) and named in its legend.
        var memory = Chart(cut, "memory");
        cut.WaitForAssertion(() => Assert.Equal(2, Chart(cut, "memory").QuerySelectorAll("path.mud-chart-serie").Length));
        memory = Chart(cut, "memory");
        Assert.Contains("available", memory.TextContent);
        Assert.Contains("used", memory.TextContent);
        Assert.Empty(cut.FindAll("[data-testid=metrics-absent]"));
    }

    [Fact]
    public void NodeDetail_NoSampleYet_SaysSoInsteadOfAnEmptyChart()
    {
        Fake.Nodes.Add(FakeFormation.Node("edge-1"));
        Fake.NodeHistory["edge-1"] = new NodeMetrics("edge-1", Ten, []);
        var cut = Render<NodeDetail>(p => p.Add(x => x.Id, "edge-1"));

        var absent = cut.WaitForElement("[data-testid=metrics-absent]");
        Assert.Equal("No samples yet (the node samples every 10 s).", absent.TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid=metric-chart]"));
    }

    [Fact]
    public void NodeDetail_MetricsOffOnTheNode_SaysWhyAndTheRestOfThePageWorks()
    {
        Fake.Nodes.Add(FakeFormation.Node("edge-1"));
        var cut = Render<NodeDetail>(p => p.Add(x => x.Id, "edge-1"));

        var absent = cut.WaitForElement("[data-testid=metrics-absent]");
        Assert.Contains("collects no metrics", absent.TextContent);
        Assert.Empty(cut.FindAll("[data-testid=page-error]"));
        Assert.Contains("127.0.0.1:30000", cut.Find("[data-testid=node-facts]").TextContent);
    }

    [Fact]
    public void NodeDetail_UnhealthyNode_IsNotAskedAndSaysWhy()
    {
        Fake.Nodes.Add(FakeFormation.Node("edge-1", NodeHealth.Unhealthy));
        Fake.NodeHistory["edge-1"] = FakeFormation.NodeHistoryOf("edge-1", 3, Ten);
        var cut = Render<NodeDetail>(p => p.Add(x => x.Id, "edge-1"));

        Assert.Contains("edge-1 is unhealthy", cut.WaitForElement("[data-testid=metrics-absent]").TextContent);
    }

    [Fact]
    public void NodeDetail_NewSample_AppearsAfterThePollWithoutAnEvent()
    {
        var interval = TimeSpan.FromMilliseconds(500); // the page polls at the node's own sample period
        Fake.Nodes.Add(FakeFormation.Node("edge-1"));
        var history = FakeFormation.NodeHistoryOf("edge-1", 3, interval);
        Fake.NodeHistory["edge-1"] = history;
        var cut = Render<NodeDetail>(p => p.Add(x => x.Id, "edge-1"));
        cut.WaitForAssertion(() => Assert.Equal("3", Chart(cut, "cpu").GetAttribute("data-samples")));
        Assert.Equal("20.0% of 4 CPUs", Current(cut, "cpu"));

        Fake.NodeHistory["edge-1"] = history with { Points = [.. history.Points, FakeFormation.NodeSample(DateTimeOffset.UtcNow, 0.9)] };

        cut.WaitForAssertion(() => Assert.Equal("4", Chart(cut, "cpu").GetAttribute("data-samples")), TimeSpan.FromSeconds(5));
        Assert.Equal("90.0% of 4 CPUs", Current(cut, "cpu"));
    }

    [Fact]
    public void VmDetail_History_DrawsVcpuMemoryNetworkAndDisk()
    {
        AddVm("vm-1", "edge-1");
        var now = DateTimeOffset.UtcNow;
        Fake.VmHistory["vm-1"] = new VmMetrics("vm-1", "web-1", "edge-1", VmState.Running, 2, 512,
        [
            new VmMetricsPoint(now - Ten, 0.10, 30, 100L << 20, 0, 512, 100, 50),
            new VmMetricsPoint(now, 0.25, 35, 120L << 20, 0, 1024, 300, 150),
        ]);
        var cut = Render<VmDetail>(p => p.Add(x => x.Id, "vm-1"));

        cut.WaitForElement("[data-testid=metric-chart]");
        Assert.Equal(["cpu", "memory", "network", "disk"], cut.FindAll("[data-testid=metric-chart]").Select(c => c.GetAttribute("data-metric")));
        Assert.Equal("25.0% of 2 vCPUs (35 s in all)", Current(cut, "cpu"));
        Assert.Equal("120 MiB of 512 MiB", Current(cut, "memory"));
        Assert.Equal("300 B/s / 150 B/s in / out", Current(cut, "network"));
        Assert.Equal("2", Chart(cut, "network").GetAttribute("data-samples"));
    }

    [Fact]
    public void VmDetail_NodeHasNotSampledTheVmYet_SaysNoSamplesYet()
    {
        AddVm("vm-1", "edge-1");
        var cut = Render<VmDetail>(p => p.Add(x => x.Id, "vm-1"));

        Assert.Equal("No samples yet (the node samples every 10 s).", cut.WaitForElement("[data-testid=metrics-absent]").TextContent.Trim());
    }

    [Fact]
    public void VmDetail_NotPlaced_SaysSoInsteadOfAskingANode()
    {
        AddVm("vm-1", "");
        var cut = Render<VmDetail>(p => p.Add(x => x.Id, "vm-1"));

        Assert.Contains("not placed", cut.WaitForElement("[data-testid=metrics-absent]").TextContent);
    }

    [Fact]
    public void Nodes_ShowCpuAndMemoryNow_AndADashWithoutASample()
    {
        Fake.Nodes.Add(FakeFormation.Node("edge-1"));
        Fake.Nodes.Add(FakeFormation.Node("edge-2"));
        Fake.NodeHistory["edge-1"] = FakeFormation.NodeHistoryOf("edge-1", 2, Ten);
        var cut = Render<Formation.Dashboard.Components.Pages.Nodes>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=node-now]").Count));
        var now = cut.FindAll("[data-testid=node-now]").Select(e => e.TextContent.Trim()).ToList();
        Assert.Contains("CPU 10.0% of 4", now[0]);
        Assert.Contains("Memory 2 GiB / 8 GiB", now[0]);
        Assert.Equal("-", now[1]);
    }

    private void AddVm(string id, string nodeId)
    {
        var spec = new VmSpec("web-1", 2, 512, 10, "web:latest", null);
        var vm = new VmInfo(id, nodeId, spec, VmState.Running, null, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow, "10.77.0.2", "sim");
        Fake.VmDetails[id] = new VmDetailRecord(vm, []);
        if (nodeId.Length > 0)
        {
            Fake.NodeHistory[nodeId] = FakeFormation.NodeHistoryOf(nodeId, 1, Ten);
        }
    }

    private static AngleSharp.Dom.IElement Chart<T>(IRenderedComponent<T> cut, string key) where T : Microsoft.AspNetCore.Components.IComponent =>
        cut.Find($"[data-testid=metric-chart][data-metric={key}]");

    private static string Current<T>(IRenderedComponent<T> cut, string key) where T : Microsoft.AspNetCore.Components.IComponent =>
        Chart(cut, key).QuerySelector("[data-testid=metric-current]")!.TextContent.Trim();
}
