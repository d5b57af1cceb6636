using Formation.Errors;
using Formation.Scheduling;
using Formation.Silo.Vms;
using Formation.Vms;
using Microsoft.Extensions.DependencyInjection;
using static Formation.Testing.Accounts;

namespace Formation.Silo.Tests.Clusters;

/// <summary>
/// Migration through the real grains of a three-node cluster on the sim driver: a running VM moves live (simulated: nothing
/// travels) and the books follow it; refusals, and moves failing at either end (the sim driver's fault switch) or by
/// stop and copy (a paused sim VM has no state to save), each say why, and the VM runs on where it was with the cluster's
/// books as before. Moves with real guests are in QemuMigrationTests.
/// </summary>
public sealed class VmMigrationGrainTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private IVmCatalogGrain Catalog => fixture.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);

    [Fact]
    public async Task Migrate_ARunningSimVm_MovesLive_AndTheBooksFollowIt()
    {
        var vm = await RunningVmAsync("move-live");
        var target = await OtherNodeAsync(vm.NodeId);
        var (sourceBefore, targetBefore) = (await CountOnAsync(vm.NodeId), await CountOnAsync(target));

        var moved = await Catalog.MigrateVmAsync("move-live", target);

        Assert.Equal((target, VmState.Running, vm.Id), (moved.NodeId, moved.State, moved.Id));
        Assert.Equal(target, (await Catalog.ResolveAsync("move-live")).NodeId);
        var events = await fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(target, vm.Id)).GetEventsAsync();
        Assert.Contains(events, e => e.Reason?.Contains($"migrating live from node {vm.NodeId}", StringComparison.Ordinal) == true);
        Assert.Contains(events, e => e.NodeId == vm.NodeId && e.To == VmState.Running); // its history on the old node came with it
        Assert.Equal(sourceBefore - 1, await CountOnAsync(vm.NodeId)); // the old node's room is free, the new node's taken
        Assert.Equal(targetBefore + 1, await CountOnAsync(target));
        var gone = await Assert.ThrowsAsync<FormationException>(() => fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).GetAsync());
        Assert.Equal(ErrorKind.NotFound, gone.Kind);
    }

    [Theory]
    [InlineData(SimMigrationFault.Send)]
    [InlineData(SimMigrationFault.Arrive)]
    public async Task Migrate_LiveMoveFailingAtEitherEnd_SaysWhy_AndTheVmRunsOnWhereItWas_WithTheBooksAsBefore(SimMigrationFault fault)
    {
        var name = $"move-fail-{fault.ToString().ToLowerInvariant()}";
        var vm = await RunningVmAsync(name);
        var target = await OtherNodeAsync(vm.NodeId);
        var before = await ReservedAsync();
        var faulty = SimOptionsOf(fault == SimMigrationFault.Send ? vm.NodeId : target);
        faulty.MigrationFault = fault;
        FormationException ex;
        try
        {
            ex = await Assert.ThrowsAsync<FormationException>(() => Catalog.MigrateVmAsync(name, target));
        }
        finally
        {
            faulty.MigrationFault = SimMigrationFault.None;
        }

        Assert.Equal(ErrorKind.HostFailure, ex.Kind);
        Assert.Contains($"Migrating VM {name} to node {target} failed: ", ex.Message);
        Assert.Contains(fault == SimMigrationFault.Send ? "the stream to" : "did not arrive", ex.Message);
        Assert.EndsWith($"It runs on node {vm.NodeId} as before.", ex.Message);
        var source = fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id));
        Assert.Equal(VmState.Running, (await source.GetAsync()).State);
        Assert.Equal(vm.NodeId, (await Catalog.ResolveAsync(name)).NodeId);
        Assert.Equal(before, await ReservedAsync()); // the room held on the target is free again
        var abandoned = await Assert.ThrowsAsync<FormationException>(() => fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(target, vm.Id)).GetAsync());
        Assert.Equal(ErrorKind.NotFound, abandoned.Kind); // nothing of it stays on the target (nor restarted there by its policy)

        // Nothing holds the VM: it can be stopped (a move in progress would refuse that).
        var stopping = await source.StopAsync();
        Assert.True(stopping.State is VmState.Stopping or VmState.Stopped, stopping.State.ToString());
    }

    [Fact]
    public async Task Migrate_APausedSimVm_GoesByStopAndCopy_WhichFailsSayingWhy_AndItStaysWhereItWas()
    {
        var vm = await RunningVmAsync("move-paused");
        var target = await OtherNodeAsync(vm.NodeId);
        var grain = fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id));
        await grain.PauseAsync();
        var before = await ReservedAsync();

        var ex = await Assert.ThrowsAsync<FormationException>(() => Catalog.MigrateVmAsync("move-paused", target));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains($"Migrating VM move-paused to node {target} failed: node {vm.NodeId} simulates its VMs", ex.Message);
        Assert.EndsWith($"It runs on node {vm.NodeId} as before.", ex.Message);
        Assert.Equal(VmState.Paused, (await grain.GetAsync()).State);
        Assert.Equal(vm.NodeId, (await Catalog.ResolveAsync("move-paused")).NodeId);
        Assert.Equal(before, await ReservedAsync());
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

    [Fact]
    public async Task Drain_TakesTheNodeOutOfPlacement_ReportsEachVm_AndUndrainTakesItBack()
    {
        var running = await RunningVmAsync("drain-running");
        var node = running.NodeId;
        var stopped = await Catalog.CreateVmAsync(new VmSpec("drain-stopped", 1, 128, 1, null, node));
        var stoppedGrain = fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(node, stopped.Id));
        await Eventually.HoldsAsync(() => stoppedGrain.GetAsync(), v => v.State == VmState.Running, Timeout, "VM Running");
        await stoppedGrain.StopAsync();
        await Eventually.HoldsAsync(() => stoppedGrain.GetAsync(), v => v.State == VmState.Stopped, Timeout, "VM Stopped");
        var scheduler = fixture.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster);
        try
        {
            var results = await Catalog.DrainNodeAsync(node);

            // The running VM moves (live) to another node; the stopped one stays by design.
            var mine = results.Where(r => r.Name.StartsWith("drain-", StringComparison.Ordinal)).OrderBy(r => r.Name).ToList();
            Assert.Equal(["drain-running", "drain-stopped"], mine.Select(r => r.Name));
            Assert.False(mine[0].Failed, mine[0].Problem);
            Assert.True(mine[0].MovedTo is { } to && to != node, mine[0].MovedTo);
            Assert.False(mine[1].Failed);
            Assert.StartsWith("stays: it is Stopped, and only a running VM migrates", mine[1].Problem);
            Assert.True((await scheduler.ListNodesAsync()).Single(n => n.NodeId == node).Drained);
            Assert.Equal(VmState.Running, (await fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(mine[0].MovedTo!, running.Id)).GetAsync()).State);
            Assert.Equal(mine[0].MovedTo, (await Catalog.ResolveAsync("drain-running")).NodeId);

            // Placement passes it by: pinned there, a create is refused saying so; unpinned, creates go elsewhere.
            var pinned = await Assert.ThrowsAsync<FormationException>(() => Catalog.CreateVmAsync(new VmSpec("drain-pinned", 1, 128, 1, null, node)));
            Assert.Equal(ErrorKind.NoCapacity, pinned.Kind);
            Assert.Contains($"node '{node}' is drained (`form node undrain {node}`", pinned.Message);
            for (var i = 0; i < 4; i++)
            {
                Assert.NotEqual(node, (await Catalog.CreateVmAsync(new VmSpec($"drain-free-{i}", 1, 128, 1, null, null))).NodeId);
            }
        }
        finally
        {
            await scheduler.SetDrainedAsync(node, drained: false);
        }

        Assert.False((await scheduler.ListNodesAsync()).Single(n => n.NodeId == node).Drained);
        Assert.Equal(node, (await Catalog.CreateVmAsync(new VmSpec("drain-back", 1, 128, 1, null, node))).NodeId);
        var unknown = await Assert.ThrowsAsync<FormationException>(() => Catalog.DrainNodeAsync("node-nowhere"));
        Assert.Equal(ErrorKind.NotFound, unknown.Kind);
    }

    [Fact]
    public async Task AMember_CannotMigrateAnotherAccountsVm_NorDrainANode_OrUndrainOne()
    {
        var victim = await AsAccount(fixture.Client, "mig-a", c => c.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(new VmSpec("mig-web", 1, 64, 1, null, null)));
        var grain = fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(victim.NodeId, victim.Id));
        await Eventually.HoldsAsync(() => grain.GetAsync(), v => v.State == VmState.Running, Timeout, "VM Running");
        var events = (await grain.GetEventsAsync()).Count;
        var other = await OtherNodeAsync(victim.NodeId);

        var byId = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(fixture.Client, "mig-b", c => c.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).MigrateVmAsync(victim.Id, other)));
        var drain = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(fixture.Client, "mig-b", c => c.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).DrainNodeAsync(victim.NodeId)));
        var undrain = await Assert.ThrowsAsync<FormationException>(() =>
            AsAccount(fixture.Client, "mig-b", c => c.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).SetDrainedAsync(victim.NodeId, true)));

        Assert.Equal(ErrorKind.NotFound, byId.Kind); // word for word as for a VM that does not exist
        Assert.Equal((ErrorKind.PermissionDenied, "Only an admin drains a node."), (drain.Kind, drain.Message));
        Assert.Equal(ErrorKind.PermissionDenied, undrain.Kind);
        Assert.Equal(events, (await grain.GetEventsAsync()).Count);
        Assert.Equal(victim.NodeId, (await Catalog.ResolveAsync(victim.Id)).NodeId);
        Assert.False((await fixture.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync()).Single(n => n.NodeId == victim.NodeId).Drained);
    }

    private async Task<VmInfo> RunningVmAsync(string name)
    {
        var created = await Catalog.CreateVmAsync(new VmSpec(name, 1, 128, 1, null, null));
        var vm = fixture.Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        return await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Running, Timeout, "VM Running");
    }

    private async Task<string> OtherNodeAsync(string nodeId) =>
        (await fixture.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync()).First(n => n.NodeId != nodeId).NodeId;

    private async Task<int> CountOnAsync(string nodeId) =>
        (await fixture.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync()).Single(n => n.NodeId == nodeId).VmCount;

    /// <summary>The sim driver's settings of one node's silo (in-process: a test may make its migrations fail).</summary>
    private SimOptions SimOptionsOf(string nodeId) =>
        fixture.Cluster.Silos.Single(s => SimClusterFixture.NodeIdOf(s.Name) == nodeId).ServiceProvider.GetRequiredService<SimOptions>();

    private async Task<string> ReservedAsync() => string.Join(", ",
        (await fixture.Client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync()).Select(n => $"{n.NodeId}: {n.Reserved} ({n.VmCount})"));
}
