using Formation.Errors;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Vms;

namespace Formation.Silo.Tests.Clusters;

/// <summary>VM grains live on their node's silo, fail clearly while it is gone, and are served again when it returns.</summary>
public sealed class HostAffinityTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private IClusterClient Client => fixture.Client;

    [Fact]
    public async Task CreateVm_OnEachNode_ActivatesOnThatNodesSilo()
    {
        await WaitForNodesAsync(SimClusterFixture.SiloCount);
        var management = Client.GetGrain<IManagementGrain>(0);
        foreach (var silo in fixture.Cluster.GetActiveSilos())
        {
            var nodeId = SimClusterFixture.NodeIdOf(silo.Name);
            var vm = await Catalog.CreateVmAsync(new VmSpec($"aff-{nodeId}", 1, 256, 1, null, nodeId));
            Assert.Equal(nodeId, vm.NodeId);

            var grain = Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id));
            await grain.GetAsync();
            var host = await management.GetActivationAddress(grain);
            Assert.Equal(silo.SiloAddress, host);

            var nodeGrain = Client.GetGrain<INodeGrain>(nodeId);
            await nodeGrain.GetAsync();
            Assert.Equal(silo.SiloAddress, await management.GetActivationAddress(nodeGrain));
        }
    }

    [Fact]
    public async Task StoppedNode_CallsFailNamingTheNode_ThenRejoinedNodeServesAgain()
    {
        await WaitForNodesAsync(SimClusterFixture.SiloCount);
        var silo = fixture.Cluster.GetActiveSilos().Single(s => s.Name.EndsWith("_2", StringComparison.Ordinal));
        var nodeId = SimClusterFixture.NodeIdOf(silo.Name);
        var vm = await Catalog.CreateVmAsync(new VmSpec("aff-stop", 1, 256, 1, null, nodeId));
        var grain = Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id));
        await Eventually.HoldsAsync(() => grain.GetAsync(), v => v.State == VmState.Running, Timeout, "VM running");

        await fixture.Cluster.StopSiloAsync(silo);

        var error = await Assert.ThrowsAsync<FormationException>(() => grain.GetAsync());
        Assert.Equal(ErrorKind.NodeUnavailable, error.Kind);
        Assert.Contains($"'{nodeId}'", error.Message);

        // The node left cleanly, so the scheduler shows it as Left and places nothing there.
        var nodes = await Scheduler.ListNodesAsync();
        Assert.Equal(NodeHealth.Left, nodes.Single(n => n.NodeId == nodeId).Health);
        var refused = await Assert.ThrowsAsync<FormationException>(() => Catalog.CreateVmAsync(new VmSpec("aff-refused", 1, 256, 1, null, nodeId)));
        Assert.Equal(ErrorKind.NoCapacity, refused.Kind);

        var back = await fixture.Cluster.StartSiloAsync(2, fixture.Cluster.Options);
        Assert.Equal(nodeId, SimClusterFixture.NodeIdOf(back.Name));
        await Eventually.HoldsAsync(Scheduler.ListNodesAsync, l => l.Single(n => n.NodeId == nodeId).Health == NodeHealth.Healthy, Timeout, "node healthy again");

        // Served again, on the returned silo. The sim driver's VMs die with their silo, so the VM reports Failed.
        var info = await Eventually.HoldsAsync(() => grain.GetAsync(), v => v.State == VmState.Failed, Timeout, "VM reconciled");
        Assert.Contains("no longer has this VM", info.Reason);
        Assert.Equal(back.SiloAddress, await Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain));
        await grain.StartAsync();
        await Eventually.HoldsAsync(() => grain.GetAsync(), v => v.State == VmState.Running, Timeout, "VM restarted");
    }

    private IVmCatalogGrain Catalog => Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);

    private ISchedulerGrain Scheduler => Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);

    private Task WaitForNodesAsync(int count) =>
        Eventually.HoldsAsync(Scheduler.ListNodesAsync, l => l.Count(n => n.Health == NodeHealth.Healthy) >= count, Timeout, $"{count} healthy nodes");
}
