using Formation.Errors;
using Formation.Vms;
using static Formation.Testing.Accounts;

namespace Formation.Silo.Tests.Clusters;

/// <summary>
/// Hotplug bookkeeping through the real grains on the sim driver: the spec records each device only once the host took
/// it, ids are reused lowest-first, limits and states are refused saying why, and a restart boots with the recorded
/// devices. The real guest seeing them is HotplugCliTests (qemu).
/// </summary>
public sealed class VmDeviceGrainTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private IClusterClient Client => fixture.Client;

    [Fact]
    public async Task AddRemoveDisk_RunningVm_SpecRecordsItAndARestartKeepsIt()
    {
        var vm = await RunningVmAsync("dev-disk");

        var first = await vm.AddDiskAsync(512);
        var second = await vm.AddDiskAsync(1024);
        await vm.RemoveDiskAsync("disk1");
        var third = await vm.AddDiskAsync(64);

        Assert.Equal(("disk1", "disk2", "disk1"), (first.Id, second.Id, third.Id));
        var spec = (await vm.GetAsync()).Spec;
        Assert.Equal([new VmDisk("disk2", 1024), new VmDisk("disk1", 64)], spec.Disks);

        await vm.StopAsync();
        await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Stopped, Timeout, "VM Stopped");
        await vm.StartAsync();
        await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Running, Timeout, "VM Running again");
        Assert.Equal(spec.Disks, (await vm.GetAsync()).Spec.Disks);
    }

    [Fact]
    public async Task AddDisk_StoppedVm_IsRefusedAndTheSpecUnchanged()
    {
        var vm = await RunningVmAsync("dev-stopped");
        await vm.StopAsync();
        await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Stopped, Timeout, "VM Stopped");

        var ex = await Assert.ThrowsAsync<FormationException>(() => vm.AddDiskAsync(64));

        Assert.Equal(ErrorKind.Conflict, ex.Kind);
        Assert.Contains("it is Stopped; add a disk to needs Running", ex.Message);
        Assert.Empty((await vm.GetAsync()).Spec.Disks);
    }

    [Fact]
    public async Task AddDisk_BadSizeOrPastTheLimit_IsRefused()
    {
        var vm = await RunningVmAsync("dev-limits");
        Assert.Equal(ErrorKind.InvalidArgument, (await Assert.ThrowsAsync<FormationException>(() => vm.AddDiskAsync(0))).Kind);
        for (var i = 0; i < VmDevices.MaxDisks; i++)
        {
            await vm.AddDiskAsync(1);
        }

        var ex = await Assert.ThrowsAsync<FormationException>(() => vm.AddDiskAsync(1));
        Assert.Contains("the most a VM may have", ex.Message);
        Assert.Equal(VmDevices.MaxDisks, (await vm.GetAsync()).Spec.Disks.Count);
    }

    [Fact]
    public async Task RemoveDisk_Unknown_IsNotFoundListingWhatItHas()
    {
        var vm = await RunningVmAsync("dev-unknown");
        await vm.AddDiskAsync(8);

        var ex = await Assert.ThrowsAsync<FormationException>(() => vm.RemoveDiskAsync("disk7"));

        Assert.Equal(ErrorKind.NotFound, ex.Kind);
        Assert.Contains("has no added disk 'disk7'; it has disk1", ex.Message);
    }

    [Fact]
    public async Task AddRemoveNic_RunningVm_SpecRecordsItsMac()
    {
        var vm = await RunningVmAsync("dev-nic");

        var nic = await vm.AddNicAsync();

        Assert.Equal("nic1", nic.Id);
        Assert.StartsWith("02:fa:", nic.Mac);
        Assert.Equal(nic, Assert.Single((await vm.GetAsync()).Spec.Nics));
        await vm.RemoveNicAsync("nic1");
        Assert.Empty((await vm.GetAsync()).Spec.Nics);
    }

    [Fact]
    public async Task ResizeMemory_ShrinkAndBack_RecordedAndBeyondBootRefused()
    {
        var vm = await RunningVmAsync("dev-mem");

        var shrunk = await vm.ResizeMemoryAsync(64);
        Assert.Equal(new VmMemory(128, 64, 64), shrunk);
        Assert.Equal(64, (await vm.GetAsync()).Spec.BalloonMiB);

        var ex = await Assert.ThrowsAsync<FormationException>(() => vm.ResizeMemoryAsync(256));
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("needs memory hotplug", ex.Message);

        await vm.ResizeMemoryAsync(128);
        Assert.Null((await vm.GetAsync()).Spec.BalloonMiB);
    }

    [Fact]
    public async Task AnotherAccount_CannotAddRemoveOrResize_AndTheVmIsUnchanged()
    {
        var created = await AsAccount(Client, "dev-own", c => c.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(new VmSpec("dev-owned", 1, 128, 1, null, null)));
        var key = GrainKeys.Vm(created.NodeId, created.Id);
        await Eventually.HoldsAsync(() => Client.GetGrain<IVmGrain>(key).GetAsync(), v => v.State == VmState.Running, Timeout, "VM Running");
        await AsAccount(Client, "dev-own", c => c.GetGrain<IVmGrain>(key).AddDiskAsync(8)); // the owner may: the attempts below could work
        await AsAccount(Client, "dev-own", c => c.GetGrain<IVmGrain>(key).AddNicAsync());
        var before = (await Client.GetGrain<IVmGrain>(key).GetAsync()).Spec;

        Func<IClusterClient, Task>[] attacks =
        [
            c => c.GetGrain<IVmGrain>(key).AddDiskAsync(8),
            c => c.GetGrain<IVmGrain>(key).RemoveDiskAsync("disk1"),
            c => c.GetGrain<IVmGrain>(key).AddNicAsync(),
            c => c.GetGrain<IVmGrain>(key).RemoveNicAsync("nic1"),
            c => c.GetGrain<IVmGrain>(key).ResizeMemoryAsync(64),
        ];
        foreach (var attack in attacks)
        {
            var refused = await Assert.ThrowsAsync<FormationException>(() => AsAccount(Client, "dev-atk", attack));
            Assert.Equal(ErrorKind.NotFound, refused.Kind);
        }

        var after = (await Client.GetGrain<IVmGrain>(key).GetAsync()).Spec;
        Assert.Equal(before.Disks, after.Disks);
        Assert.Equal(before.Nics, after.Nics);
        Assert.Null(after.BalloonMiB);
    }

    private async Task<IVmGrain> RunningVmAsync(string name)
    {
        var created = await Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(new VmSpec(name, 1, 128, 1, null, null));
        var vm = Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Running, Timeout, "VM Running");
        return vm;
    }
}
