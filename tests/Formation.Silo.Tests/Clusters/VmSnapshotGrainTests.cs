using Formation.Errors;
using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Silo.Tests.Clusters;

/// <summary>
/// Snapshot and restore through the real grains on the sim driver, which has nothing to save: refusals say why and leave
/// the VM as it was; the node's snapshot store grain answers (empty). The qemu path is in SnapshotCliTests and QemuSnapshotTests.
/// </summary>
public sealed class VmSnapshotGrainTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private IClusterClient Client => fixture.Client;

    [Fact]
    public async Task Snapshot_SimVm_IsRefusedSayingWhyAndTheVmRunsOn()
    {
        var vm = await RunningVmAsync("snap-sim");

        var ex = await Assert.ThrowsAsync<FormationException>(() => vm.SnapshotAsync("s1", stop: false));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("simulates its VMs", ex.Message);
        var info = await vm.GetAsync();
        Assert.Equal(VmState.Running, info.State);
        Assert.Equal("snapshot s1 failed; resumed", info.Reason);
    }

    [Fact]
    public async Task Snapshot_StoppedVm_IsRefusedNamingItsState()
    {
        var vm = await RunningVmAsync("snap-stopped");
        await vm.StopAsync();
        await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Stopped, Timeout, "VM Stopped");
        var events = (await vm.GetEventsAsync()).Count;

        var ex = await Assert.ThrowsAsync<FormationException>(() => vm.SnapshotAsync(null, stop: false));

        Assert.Equal(ErrorKind.Conflict, ex.Kind);
        Assert.Contains("it is Stopped; snapshot needs Running or Paused", ex.Message);
        Assert.Equal(events, (await vm.GetEventsAsync()).Count);
    }

    [Fact]
    public async Task Snapshot_BadName_IsRefusedBeforeTheVmIsTouched()
    {
        var vm = await RunningVmAsync("snap-badname");
        var events = (await vm.GetEventsAsync()).Count;

        var ex = await Assert.ThrowsAsync<FormationException>(() => vm.SnapshotAsync("Not A Label", stop: false));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("snapshot name 'Not A Label' is not valid", ex.Message);
        Assert.Equal(events, (await vm.GetEventsAsync()).Count);
    }

    [Fact]
    public async Task Restore_SimVm_IsRefusedAndTheVmRunsOn()
    {
        var vm = await RunningVmAsync("restore-sim");

        var ex = await Assert.ThrowsAsync<FormationException>(() => vm.RestoreAsync("s1"));

        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal(VmState.Running, (await vm.GetAsync()).State);
    }

    [Fact]
    public async Task NodeSnapshots_SimNode_ListsNoneAndDeleteOfUnknownIsNotFound()
    {
        var vm = await RunningVmAsync("snap-list");
        var nodeId = (await vm.GetAsync()).NodeId;
        var store = Client.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore(nodeId));

        Assert.Empty(await store.ListAsync(null));
        var ex = await Assert.ThrowsAsync<FormationException>(() => store.DeleteAsync("nothing-here"));
        Assert.Equal(ErrorKind.NotFound, ex.Kind);
    }

    private async Task<IVmGrain> RunningVmAsync(string name)
    {
        var created = await Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(new VmSpec(name, 1, 128, 1, null, null));
        var vm = Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Running, Timeout, "VM Running");
        return vm;
    }
}
