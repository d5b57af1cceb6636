using Formation.Errors;
using Formation.Metrics;
using Formation.Vms;

namespace Formation.Silo.Tests.Metrics;

/// <summary>The node's in-memory history, read through <see cref="INodeMetricsGrain"/> on a real silo.</summary>
public sealed class MetricsHistoryTests(MetricsSiloFixture silo) : IClassFixture<MetricsSiloFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task GetNode_AfterSomeSamples_PointsAreOrderedAtTheIntervalWithSaneValues()
    {
        var grain = silo.Client.Client.GetGrain<INodeMetricsGrain>(silo.NodeId);

        var history = await Eventually.HoldsAsync(() => grain.GetNodeAsync(0), h => h.Points.Count >= 3, Wait, "three samples");

        Assert.Equal(silo.NodeId, history.NodeId);
        Assert.Equal(TimeSpan.FromSeconds(1), history.Interval);
        Assert.True(history.Points.Zip(history.Points.Skip(1)).All(p => p.Second.At > p.First.At), "points oldest first");
        var last = history.Latest!;
        Assert.InRange(last.CpuBusy, 0, 1);
        Assert.True(last.CpuCount >= 1);
        Assert.InRange(last.MemoryUsedBytes, 1, last.MemoryTotalBytes);
        Assert.InRange(last.DiskUsedBytes, 1, last.DiskTotalBytes);
        Assert.True(last.NetworkReceiveBytesPerSecond >= 0 && last.DiskWriteBytesPerSecond >= 0);

        var two = await grain.GetNodeAsync(2);
        Assert.Equal(2, two.Points.Count);
    }

    [Fact]
    public async Task Heartbeats_CarryTheNodesMeasuredLoad_AveragedFromItsOwnSamples()
    {
        var scheduler = silo.Client.Client.GetGrain<Formation.Scheduling.ISchedulerGrain>(GrainKeys.Cluster);

        // Heartbeats come every 5 s; the load needs two samples (one interval) first.
        var node = await Eventually.HoldsAsync(scheduler.ListNodesAsync, l => l.Any(n => n.NodeId == silo.NodeId && n.Load is { Samples: >= 3 }),
            Wait, "a heartbeat with a load over three samples");
        var history = await silo.Client.Client.GetGrain<INodeMetricsGrain>(silo.NodeId).GetNodeAsync(0);

        var load = node.Single(n => n.NodeId == silo.NodeId).Load!;
        var window = history.Points.Where(p => p.At > load.MeasuredAt - Formation.Nodes.NodeLoad.Window && p.At <= load.MeasuredAt).ToList();
        Assert.Contains(history.Points, p => p.At == load.MeasuredAt);
        Assert.InRange(load.CpuBusy, window.Min(p => p.CpuBusy) - 1e-9, window.Max(p => p.CpuBusy) + 1e-9);
        Assert.InRange(load.Samples, 1, window.Count);
        Assert.InRange(load.MemoryAvailable, 0.001, 1);
    }

    [Fact]
    public async Task GetVm_VmOnTheNode_HasItsHistoryAndUnknownVmIsNotFound()
    {
        var catalog = silo.Client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        var vm = await catalog.CreateVmAsync(new VmSpec("hist-vm", 1, 256, 1, null, silo.NodeId, RequestId: Guid.NewGuid().ToString("N")));
        var grain = silo.Client.Client.GetGrain<INodeMetricsGrain>(silo.NodeId);

        var history = await Eventually.HoldsAsync(async () =>
        {
            try
            {
                return await grain.GetVmAsync(vm.Id, 0);
            }
            catch (FormationException)
            {
                return null;
            }
        }, h => h is { Points.Count: >= 2, State: VmState.Running }, Wait, "two samples of the VM");

        Assert.Equal(("hist-vm", 1, 256L), (history!.Name, history.VCpus, history.MemoryMiB));
        Assert.Contains(await grain.GetVmsAsync(1), v => v.VmId == vm.Id && v.Points.Count == 1);

        var missing = await Assert.ThrowsAsync<FormationException>(() => grain.GetVmAsync("vm-nosuch", 1));
        Assert.Equal(ErrorKind.NotFound, missing.Kind);

        await silo.Client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).DeleteAsync();
    }
}
