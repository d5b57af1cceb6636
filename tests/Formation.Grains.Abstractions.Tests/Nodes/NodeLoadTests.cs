using Formation.Metrics;
using Formation.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Formation.Grains.Abstractions.Tests.Nodes;

/// <summary>A node's load figure: averaged over the window's samples only, never made up, and it crosses the wire with the node's status.</summary>
public sealed class NodeLoadTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 18, 0, 0, TimeSpan.Zero);

    private static NodeMetricsPoint Point(int second, double busy, long used = 3L << 30, long total = 4L << 30) =>
        new(T0.AddSeconds(second), busy, 2, 0.5, used, total, 1, 2, 0, 0, 0, 0, 0, 0);

    [Fact]
    public void Average_PointsInTheWindow_AveragesTheirBusyShareAndTakesMemoryFromTheLast()
    {
        NodeMetricsPoint[] points = [Point(0, 1.0), Point(10, 0.2), Point(20, 0.4), Point(30, 0.6, used: 1L << 30)];

        var load = NodeLoad.Average(points, T0, T0.AddSeconds(30))!;

        Assert.Equal(0.4, load.CpuBusy, 9); // the point at T0 is not after "since"
        Assert.Equal(3, load.Samples);
        Assert.Equal(0.75, load.MemoryAvailable, 9);
        Assert.Equal(T0.AddSeconds(30), load.MeasuredAt);
    }

    [Fact]
    public void Average_NoPointAfterSince_IsNullNotIdle()
    {
        NodeMetricsPoint[] points = [Point(0, 0.9), Point(10, 0.9)];

        Assert.Null(NodeLoad.Average(points, T0.AddSeconds(10), T0.AddSeconds(70)));
        Assert.Null(NodeLoad.Average([], T0, T0.AddSeconds(60)));
    }

    [Fact]
    public void Average_PointAfterNow_IsLeftOut()
    {
        NodeMetricsPoint[] points = [Point(10, 0.2), Point(20, 1.0)];

        Assert.Equal(0.2, NodeLoad.Average(points, T0, T0.AddSeconds(15))!.CpuBusy, 9);
    }

    [Fact]
    public void Average_ValuesOutOfRange_AreClamped()
    {
        NodeMetricsPoint[] points = [Point(10, 1.5, used: 5L << 30), Point(20, 1.5, used: 5L << 30)];

        var load = NodeLoad.Average(points, T0, T0.AddSeconds(20))!;

        Assert.Equal(1, load.CpuBusy);
        Assert.Equal(0, load.MemoryAvailable);
    }

    [Fact]
    public void NodeStatus_WithLoad_RoundTripsThroughTheOrleansSerializer()
    {
        var serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();
        var info = new NodeInfo("edge-1", "h", 2, 1024, 10, false, "", "sim", "", "a:1", "a:2", new NodeCapacity(8, 1024, 9), T0, "1");
        var status = new NodeStatus(info, NodeHealth.Healthy, T0, NodeCapacity.Zero, 0, new NodeLoad(0.25, 0.5, T0, 6));

        var copy = serializer.Deserialize<NodeStatus>(serializer.SerializeToArray(status))!;

        Assert.Equal(status.Load, copy.Load);
        Assert.Null(serializer.Deserialize<NodeStatus>(serializer.SerializeToArray(status with { Load = null }))!.Load);
    }
}
