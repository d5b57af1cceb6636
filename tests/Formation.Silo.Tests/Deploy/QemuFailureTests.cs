using Formation.Errors;
using Formation.Silo.Network;
using Formation.Silo.Tests.Clusters;
using Formation.Silo.Tests.Processes;
using Formation.Testing;
using Formation.Vms;

namespace Formation.Silo.Tests.Deploy;

/// <summary>Real VMs that go wrong: clear states and errors, and nothing leaked.</summary>
[Trait("Category", "Slow")]
public sealed class QemuFailureTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Capacity_ExtraVmRefusedWithReason_CapacityReturnsAfterDelete()
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync("cap");
        var options = fixture.Silo("dep-cap", data, ("Formation__Capacity__VCpus", "2"), ("Formation__Capacity__MemoryMiB", "600"));
        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort);

        var a = await DeployFixture.CreateAsync(client.Client, new VmSpec("cap-a", 1, 256, 1, DeployFixture.WebImage, null));
        await DeployFixture.CreateAsync(client.Client, new VmSpec("cap-b", 1, 256, 1, DeployFixture.WebImage, null));
        var refused = await Assert.ThrowsAsync<FormationException>(() =>
            DeployFixture.CreateAsync(client.Client, new VmSpec("cap-c", 1, 256, 1, DeployFixture.WebImage, null)));
        Assert.Equal(ErrorKind.NoCapacity, refused.Kind);
        Assert.Contains("Best candidate: dep-cap", refused.Message);
        Assert.Contains("short of 1 vCPU and 168 MiB memory", refused.Message);

        await client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("dep-cap", a.Id)).DeleteAsync();
        var c = await DeployFixture.CreateAsync(client.Client, new VmSpec("cap-c", 1, 256, 1, DeployFixture.WebImage, null));
        Assert.Equal("dep-cap", c.NodeId);

        foreach (var vm in await client.Client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync())
        {
            await client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id)).DeleteAsync();
        }
    }

    [Fact]
    public async Task UnknownImage_FailsOnTheNodeSayingSo_AndHoldsNoNetwork()
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync("noimg");
        var options = fixture.Silo("dep-noimg", data);
        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort);

        var created = await DeployFixture.CreateAsync(client.Client, new VmSpec("noimg", 1, 256, 1, "no-such-image:9", null));
        var vm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("dep-noimg", created.Id));
        var failed = await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Failed, TimeSpan.FromSeconds(30), "Failed");

        Assert.Contains("image 'no-such-image:9' is not on node dep-noimg", failed.Reason);
        Assert.False(await HostNetwork.LinkExistsAsync(HostNetwork.TapName(created.Id), CancellationToken.None));
        Assert.Empty(await client.Client.GetGrain<Networking.IAddressPoolGrain>("dep-noimg").ListAsync());
        await vm.DeleteAsync();
        Assert.False(Directory.Exists(Path.Combine(data, "vms", created.Id)));
    }

    [Fact]
    public async Task BootTimeout_FailsWithTheConsoleTail_KillsTheProcess_DeleteCleansUp()
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync("timeout");
        var options = fixture.Silo("dep-timeout", data,
            ("Formation__Vms__ReadyLine", "A-LINE-NO-GUEST-PRINTS"), ("Formation__Vms__BootTimeout", "00:00:15"));
        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort);

        var created = await DeployFixture.CreateAsync(client.Client, new VmSpec("slow", 1, 256, 1, DeployFixture.WebImage, null));
        var vm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("dep-timeout", created.Id));
        var failed = await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Failed, TimeSpan.FromSeconds(60), "Failed");

        Assert.Contains("did not report ready within 15 s", failed.Reason);
        Assert.Contains("FORMATION-GUEST-READY", failed.Reason); // the console tail shows what the guest did print
        var pidFile = Path.Combine(data, "vms", created.Id, "vm.pid");
        Assert.False(Formation.Silo.Vms.ProcessInfo.TryReadPid(pidFile, out var pid) && Formation.Silo.Vms.ProcessInfo.IsAlive(pid), "the VM process outlived the timeout");

        await vm.DeleteAsync();
        Assert.False(await HostNetwork.LinkExistsAsync(HostNetwork.TapName(created.Id), CancellationToken.None));
        Assert.Empty(await client.Client.GetGrain<Networking.IAddressPoolGrain>("dep-timeout").ListAsync());
        Assert.False(Directory.Exists(Path.Combine(data, "vms", created.Id)));
    }

    [Fact]
    public async Task GuestPowersOffAtOnce_IsStopped_AndRestartPolicyAlwaysBootsItAgain()
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync("off");
        var options = fixture.Silo("dep-off", data);
        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort);

        var never = await DeployFixture.CreateAsync(client.Client, new VmSpec("off-never", 1, 256, 1, DeployFixture.PowerOffImage, null));
        var vm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("dep-off", never.Id));
        var stopped = await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == VmState.Stopped, Boot, "Stopped");
        Assert.Equal("the guest powered off", stopped.Reason);
        Assert.Contains(VmState.Running, (await vm.GetEventsAsync()).Select(e => e.To));

        var always = await DeployFixture.CreateAsync(client.Client,
            new VmSpec("off-always", 1, 256, 1, DeployFixture.PowerOffImage, null, RestartPolicy.Always));
        var restarting = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("dep-off", always.Id));
        await Eventually.HoldsAsync(restarting.GetEventsAsync,
            events => events.Count(e => e.To == VmState.Stopped) >= 2 && events.Any(e => e.Reason?.Contains("restart policy") == true),
            Boot * 2, "two power-offs and an automatic restart");

        await vm.DeleteAsync();
        await restarting.DeleteAsync();
        Assert.Empty(Directory.EnumerateDirectories(Path.Combine(data, "vms")));
        Assert.Empty(await client.Client.GetGrain<Networking.IAddressPoolGrain>("dep-off").ListAsync());
    }

    [Fact]
    public async Task DeleteWhileBooting_LeavesNoProcessTapOrFiles()
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync("early");
        var options = fixture.Silo("dep-early", data);
        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort);

        var created = await DeployFixture.CreateAsync(client.Client, new VmSpec("early", 1, 256, 1, DeployFixture.WebImage, null));
        await client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("dep-early", created.Id)).DeleteAsync();

        await Task.Delay(TimeSpan.FromSeconds(3)); // a launch that was under way has finished by now
        var processName = Formation.Silo.Hypervisors.Qemu.QemuDriver.ProcessName(created.Id);
        var survivors = Directory.EnumerateDirectories("/proc").Select(Path.GetFileName)
            .Where(p => int.TryParse(p, out var pid) && Formation.Silo.Vms.ProcessInfo.CommandLineContains(pid, processName)).ToList();
        Assert.Empty(survivors);
        Assert.False(await HostNetwork.LinkExistsAsync(HostNetwork.TapName(created.Id), CancellationToken.None));
        Assert.False(Directory.Exists(Path.Combine(data, "vms", created.Id)));
    }
}
