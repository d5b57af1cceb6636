using System.Text.Json;
using Formation.LocalApi;
using Formation.Metrics;
using Formation.Nodes;
using Formation.Vms;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Formation.Grains.Abstractions.Tests.Metrics;

/// <summary>The metrics records survive the Orleans serializer and the local API's JSON; NodeInfo keeps its new field.</summary>
public sealed class MetricsWireTests
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>();

    private static readonly NodeMetricsPoint NodePoint = new(DateTimeOffset.UnixEpoch, 0.25, 4, 1.5, 1 << 30, 4L << 30, 10L << 30, 100L << 30, 1, 2, 3, 4, 5, 6);

    private static readonly VmMetricsPoint VmPoint = new(DateTimeOffset.UnixEpoch.AddSeconds(10), 0.5, 12.5, 256 << 20, 1, 2, 3, 4);

    private static T RoundTrip<T>(T value) => Serializer.Deserialize<T>(Serializer.SerializeToArray(value))!;

    [Fact]
    public void NodeAndVmMetrics_RoundTrip()
    {
        var node = new NodeMetrics("edge-1", TimeSpan.FromSeconds(10), [NodePoint, NodePoint with { At = NodePoint.At.AddSeconds(10) }]);
        var copy = RoundTrip(node);
        Assert.Equal(node.Points, copy.Points);
        Assert.Equal((node.NodeId, node.Interval), (copy.NodeId, copy.Interval));

        var vm = new VmMetrics("vm-1", "web", "edge-1", VmState.Paused, 2, 512, [VmPoint]);
        var vmCopy = RoundTrip(vm);
        Assert.Equal(vm.Points, vmCopy.Points);
        Assert.Equal(vm with { Points = vmCopy.Points }, vmCopy);
    }

    [Fact]
    public void NodeInfo_MetricsUrl_RoundTrips()
    {
        var info = new NodeInfo("edge-1", "h", 2, 1024, 10, false, "", "sim", "", "a:1", "a:2", new NodeCapacity(8, 1024, 9),
            DateTimeOffset.UnixEpoch, "1", MetricsUrl: "http://127.0.0.1:9464/metrics");

        Assert.Equal("http://127.0.0.1:9464/metrics", RoundTrip(info).MetricsUrl);
    }

    [Fact]
    public void LocalApiReply_VmDetailWithUsage_RoundTripsAsJson()
    {
        var spec = new VmSpec("web", 1, 256, 1, null, null);
        var vm = new VmInfo("vm-1", "edge-1", spec, VmState.Running, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, "sim");
        var reply = new LocalApiReply(Vm: new VmDetail(vm, [], VmPoint));

        var copy = JsonSerializer.Deserialize(JsonSerializer.Serialize(reply, LocalApiJson.Default.LocalApiReply), LocalApiJson.Default.LocalApiReply)!;

        Assert.Equal(VmPoint, copy.Vm!.Usage);
    }
}
