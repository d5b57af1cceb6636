using Formation.Errors;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Vms;

namespace Formation.Silo.Tests.Clusters;

/// <summary>The scheduler grain under concurrent load, in a real cluster: no over-commit, constraints honoured, clear refusals.</summary>
public sealed class SchedulerTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    private IClusterClient Client => fixture.Client;

    [Fact]
    public async Task PlaceAsync_ManyConcurrentRequestsForOneNode_ReservesExactlyWhatFits()
    {
        var scheduler = Client.GetGrain<ISchedulerGrain>("sched-one-node");
        await scheduler.RegisterNodeAsync(FakeNode("cap", new NodeCapacity(4, 4096, 100)));

        var attempts = Enumerable.Range(0, 40)
            .Select(i => Try(scheduler.PlaceAsync(new PlacementRequest($"vm-{i}", new NodeCapacity(1, 256, 1), "cap"))))
            .ToArray();
        var outcomes = await Task.WhenAll(attempts);

        Assert.Equal(4, outcomes.Count(o => o.Node == "cap"));
        Assert.All(outcomes.Where(o => o.Error is not null), o => Assert.Equal(ErrorKind.NoCapacity, o.Error!.Kind));
        var node = (await scheduler.ListNodesAsync()).Single();
        Assert.Equal(new NodeCapacity(4, 1024, 4), node.Reserved);
        Assert.Equal(4, node.VmCount);
    }

    [Fact]
    public async Task PlaceAsync_ConcurrentMixedRequests_NoNodeIsEverOverCommitted()
    {
        var scheduler = Client.GetGrain<ISchedulerGrain>("sched-mixed");
        var random = new Random(1234);
        for (var i = 0; i < 5; i++)
        {
            await scheduler.RegisterNodeAsync(FakeNode($"n{i}", new NodeCapacity(random.Next(2, 9), random.Next(1, 9) * 1024, random.Next(10, 60))));
        }

        var requests = Enumerable.Range(0, 300)
            .Select(i => new PlacementRequest($"vm-{i}", new NodeCapacity(random.Next(1, 3), random.Next(1, 5) * 256, random.Next(1, 6)), null))
            .ToArray();
        var outcomes = await Task.WhenAll(requests.Select(r => Try(scheduler.PlaceAsync(r))));

        var nodes = await scheduler.ListNodesAsync();
        foreach (var node in nodes)
        {
            var placedHere = requests.Zip(outcomes).Where(p => p.Second.Node == node.NodeId).Aggregate(NodeCapacity.Zero, (sum, p) => sum + p.First.Resources);
            Assert.Equal(placedHere, node.Reserved);
            Assert.True(node.Info.Allocatable.Fits(node.Reserved), $"{node.NodeId} over-committed: {node.Reserved} of {node.Info.Allocatable}");
        }

        Assert.Contains(outcomes, o => o.Error is not null);
        Assert.Contains(outcomes, o => o.Node is not null);

        // Releasing gives the capacity back.
        foreach (var (request, outcome) in requests.Zip(outcomes).Where(p => p.Second.Node is not null))
        {
            await scheduler.ReleaseAsync(request.VmId);
        }

        Assert.All(await scheduler.ListNodesAsync(), n => Assert.Equal(NodeCapacity.Zero, n.Reserved));
    }

    [Fact]
    public async Task CreateVm_ConcurrentCreatesOnOneNode_OnlyWhatFitsIsCreated()
    {
        var catalog = Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);
        await Eventually.HoldsAsync(Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync,
            l => l.Any(n => n.NodeId == "node-0" && n.Health == NodeHealth.Healthy), TimeSpan.FromSeconds(20), "node-0 registered");
        var free = (await Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync()).Single(n => n.NodeId == "node-0").Free;
        var fits = free.VCpus / 4;

        var creates = Enumerable.Range(0, fits + 6)
            .Select(i => Try(catalog.CreateVmAsync(new VmSpec($"sched-burst-{i}", 4, 256, 1, null, "node-0")).ContinueWith(t => t.Result.NodeId)))
            .ToArray();
        var outcomes = await Task.WhenAll(creates);

        Assert.Equal(fits, outcomes.Count(o => o.Node == "node-0"));
        var refusal = outcomes.First(o => o.Error is not null).Error!;
        Assert.Equal(ErrorKind.NoCapacity, refusal.Kind);
        Assert.Contains("short of", refusal.Message);
    }

    [Fact]
    public async Task PlaceAsync_HeartbeatsCarryMeasuredLoad_TheIdleNodeWinsOverTheBusyOneWithLessReserved()
    {
        var scheduler = Client.GetGrain<ISchedulerGrain>("sched-load");
        await scheduler.RegisterNodeAsync(FakeNode("busy", new NodeCapacity(8, 8192, 100)));
        await scheduler.RegisterNodeAsync(FakeNode("idle", new NodeCapacity(8, 8192, 100)));
        await scheduler.PlaceAsync(new PlacementRequest("load-pinned", new NodeCapacity(4, 4096, 10), "idle"));

        // Without figures the reservations decide: the busy node has nothing reserved.
        Assert.Equal("busy", await scheduler.PlaceAsync(new PlacementRequest("load-before", new NodeCapacity(1, 256, 1), null)));
        await scheduler.ReleaseAsync("load-before");

        var now = DateTimeOffset.UtcNow;
        await scheduler.HeartbeatAsync("busy", new NodeLoad(0.93, 0.5, now, 6));
        await scheduler.HeartbeatAsync("idle", new NodeLoad(0.03, 0.8, now, 6));

        Assert.Equal("idle", await scheduler.PlaceAsync(new PlacementRequest("load-after", new NodeCapacity(1, 256, 1), null)));
        var nodes = await scheduler.ListNodesAsync();
        Assert.Equal(0.93, nodes.Single(n => n.NodeId == "busy").Load!.CpuBusy);

        // A node that has lost its measurement counts as unknown again: reservations decide.
        await scheduler.HeartbeatAsync("idle", null);
        await scheduler.HeartbeatAsync("busy"); // a heartbeat without a figure keeps the last one
        Assert.Equal(0.93, (await scheduler.ListNodesAsync()).Single(n => n.NodeId == "busy").Load!.CpuBusy);
        Assert.Null((await scheduler.ListNodesAsync()).Single(n => n.NodeId == "idle").Load);
        Assert.Equal("busy", await scheduler.PlaceAsync(new PlacementRequest("load-unknown", new NodeCapacity(1, 256, 1), null)));
    }

    private static NodeInfo FakeNode(string id, NodeCapacity capacity) =>
        new(id, id, capacity.VCpus, capacity.MemoryMiB, capacity.DiskGiB, false, "test", "sim", "test", "", "", capacity, DateTimeOffset.UtcNow, "test");

    private static async Task<(string? Node, FormationException? Error)> Try(Task<string> placement)
    {
        try
        {
            return (await placement, null);
        }
        catch (AggregateException ex) when (ex.InnerException is FormationException inner)
        {
            return (null, inner);
        }
        catch (FormationException ex)
        {
            return (null, ex);
        }
    }
}
