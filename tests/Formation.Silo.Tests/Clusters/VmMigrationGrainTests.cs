using Formation.Errors;
using Formation.Scheduling;
using Formation.Vms;

namespace Formation.Silo.Tests.Clusters;

/// <summary>
/// Migration's refusals and its undo, through the real grains of a three-node cluster on the sim driver (whose VMs have
/// no machine state to save, so every move fails at its first step): each says why, and the VM runs on where it was with
/// the cluster's books as before. A move that succeeds, with real guests, is in QemuMigrationTests.
/// </summary>
public sealed class VmMigrationGrainTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private IVmCatalogGrain Catalog => fixture.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);

    [Fact]
    public async Task Migrate_ASimVm_FailsSayingWhy_AndTheVmRunsOnWhereItWas_WithTheBooksAsBefore()
    {
        var vm = await RunningVmAsync("move-sim");
        var target = await OtherNodeAsync(vm.NodeId);
        var before = await ReservedAsync();

        var ex = await Assert.ThrowsAsync<FormationException>(() => Catalog.MigrateVmAsync("move-sim", target));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains($"Migrating VM move-sim to node {target} failed: node {vm.NodeId} simulates its VMs", ex.Message);
        Assert.EndsWith($"It runs on node {vm.NodeId} as before.", ex.Message);
        var after = await fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetAsync();
        Assert.Equal(VmState.Running, after.State);
        Assert.Equal(vm.NodeId, (await Catalog.ResolveAsync("move-sim")).NodeId);
        Assert.Equal(before, await ReservedAsync()); // the room held on the target is free again

        // Nothing holds the VM: it can be stopped (a move in progress would refuse that).
        var stopping = await fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).StopAsync();
        Assert.True(stopping.State is VmState.Stopping or VmState.Stopped, stopping.State.ToString());
    }

    [Fact]
    public async Task Migrate_ToItsOwnNode_AnUnknownNode_OrAStoppedVm_IsRefusedBeforeAnythingMoves()
    {
        var vm = await RunningVmAsync("move-refused");
        var events = (await fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetEventsAsync()).Count;

        var own = await Assert.ThrowsAsync<FormationException>(() => Catalog.MigrateVmAsync("move-refused", vm.NodeId));
        var unknown = await Assert.ThrowsAsync<FormationException>(() => Catalog.MigrateVmAsync("move-refused", "node-nowhere"));
        var missing = await Assert.ThrowsAsync<FormationException>(() => Catalog.MigrateVmAsync("no-such-vm", vm.NodeId));

        Assert.Equal(ErrorKind.InvalidArgument, own.Kind);
        Assert.Contains($"is on node {vm.NodeId} already", own.Message);
        Assert.Equal(ErrorKind.NotFound, unknown.Kind);
        Assert.Contains("there is no node 'node-nowhere'; `form node list` lists the nodes", unknown.Message);
        Assert.Equal(ErrorKind.NotFound, missing.Kind);
        Assert.Equal(events, (await fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetEventsAsync()).Count);

        var grain = fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id));
        await grain.StopAsync();
        await Eventually.HoldsAsync(() => grain.GetAsync(), v => v.State == VmState.Stopped, Timeout, "VM Stopped");
        var other = await OtherNodeAsync(vm.NodeId);
        var stopped = await Assert.ThrowsAsync<FormationException>(() => Catalog.MigrateVmAsync("move-refused", other));
        Assert.Equal(ErrorKind.Conflict, stopped.Kind);
        Assert.Contains("is Stopped; only a running or paused VM migrates", stopped.Message);
    }

    private async Task<VmInfo> RunningVmAsync(string name)
    {
        var created = await Catalog.CreateVmAsync(new VmSpec(name, 1, 128, 1, null, null));
        var vm = fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        return await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Running, Timeout, "VM Running");
    }

    private async Task<string> OtherNodeAsync(string nodeId) =>
        (await fixture.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync()).First(n => n.NodeId != nodeId).NodeId;

    private async Task<string> ReservedAsync() => string.Join(", ",
        (await fixture.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync()).Select(n => $"{n.NodeId}: {n.Reserved} ({n.VmCount})"));
}
