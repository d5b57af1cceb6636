using Formation.Silo.Network;
using Formation.Silo.Platform;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Deploy;

/// <summary>
/// A clone of a snapshot under the qemu driver (TCG): a tiny web VM is snapshotted and cloned; the clone's guest is told
/// its new MAC, address and hostname by the silo through its agent, answers HTTP at its own address and not at the
/// source's, and the source still answers at its own. (The catalog's side, finding the snapshot and refusing wrong
/// requests, is in SnapshotClonesTests and SnapshotCliTests.)
/// </summary>
[Trait("Category", "Slow")]
public sealed class QemuCloneTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task CloneOfWebVm_AnswersAtItsOwnAddressWithItsOwnHostnameAndMac_AndTheSourceKeepsItsOwn()
    {
        DeployFixture.RequireEnvironment();
        TestEnvironment.RequireGuestAgent();
        var data = await fixture.NewNodeDirectoryAsync("clone");
        var options = fixture.Silo("clone-node", data);
        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true);
        var created = await DeployFixture.CreateAsync(client.Client, new VmSpec("web-src", 1, 256, 1, DeployFixture.WebImage, null));
        var source = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        var sourceInfo = await Eventually.HoldsAsync(() => source.GetAsync(), v => v.State is VmState.Running or VmState.Failed, Boot, "the source is up");
        Assert.Equal(VmState.Running, sourceInfo.State);
        Assert.Contains("hello", await Http.GetAsync(sourceInfo.Address!, DeployFixture.WebPort));

        var snapshot = await source.SnapshotAsync("web-snap", stop: false);
        var clone = await DeployFixture.CreateAsync(client.Client,
            new VmSpec("web-clone", 1, 256, 1, DeployFixture.WebImage, created.NodeId, FromSnapshot: snapshot.Id));
        var cloneVm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(clone.NodeId, clone.Id));
        var cloneInfo = await Eventually.HoldsAsync(() => cloneVm.GetAsync(), v => v.State is VmState.Running or VmState.Failed, Boot, "the clone runs");
        Assert.True(cloneInfo.State == VmState.Running, cloneInfo.Reason);
        Assert.Contains("cloned from snapshot web-snap", cloneInfo.Reason);
        Assert.NotNull(cloneInfo.Address);
        Assert.NotEqual(sourceInfo.Address, cloneInfo.Address);
        var sourceBoot = (await source.GetEventsAsync()).First(e => e.To == VmState.Running).Reason;
        TestContext.Current.TestOutputHelper?.WriteLine($"clone: {cloneInfo.Reason}; anchor, the source's cold boot: {sourceBoot} (qemu/TCG, same run)");

        var cloneExec = client.Client.GetGrain<IVmExecGrain>(GrainKeys.Vm(clone.NodeId, clone.Id));
        var sourceExec = client.Client.GetGrain<IVmExecGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        Assert.Contains("hello", await Http.GetAsync(cloneInfo.Address!, DeployFixture.WebPort));
        Assert.Equal("web-clone\n", (await QemuExecTests.RunAsync(cloneExec, new ExecRequest(["hostname"]))).Stdout);
        var link = (await QemuExecTests.RunAsync(cloneExec, new ExecRequest(["ip", "addr", "show", "dev", "eth0"]))).Stdout;
        Assert.Contains(HostNetwork.MacFor(clone.Id), link);
        Assert.DoesNotContain(HostNetwork.MacFor(created.Id), link);
        Assert.Contains($"inet {cloneInfo.Address}/", link);
        Assert.DoesNotContain($"inet {sourceInfo.Address}/", link);

        // The source is untouched: its own name and address, and it answers there (the clone's TAP never carried its address).
        Assert.Equal("web-src\n", (await QemuExecTests.RunAsync(sourceExec, new ExecRequest(["hostname"]))).Stdout);
        Assert.Contains("hello", await Http.GetAsync(sourceInfo.Address!, DeployFixture.WebPort));
        var sourceLink = (await QemuExecTests.RunAsync(sourceExec, new ExecRequest(["ip", "addr", "show", "dev", "eth0"]))).Stdout;
        Assert.Contains(HostNetwork.MacFor(created.Id), sourceLink);

        // The clone is a VM like any other from here: stopped and started, it boots afresh with its own identity.
        await cloneVm.StopAsync();
        await Eventually.HoldsAsync(() => cloneVm.GetAsync(), v => v.State == VmState.Stopped, Boot, "the clone stops");
        await cloneVm.StartAsync();
        var restarted = await Eventually.HoldsAsync(() => cloneVm.GetAsync(), v => v.State is VmState.Running or VmState.Failed, Boot, "the clone boots");
        Assert.True(restarted.State == VmState.Running, restarted.Reason);
        Assert.Equal(cloneInfo.Address, restarted.Address);
        Assert.Equal("web-clone\n", (await QemuExecTests.RunAsync(cloneExec, new ExecRequest(["hostname"]))).Stdout);
    }

    [Fact]
    public async Task CloneWhoseGuestHasNoAgent_FailsSayingSo_AndNeverAnswersOnTheNetwork()
    {
        DeployFixture.RequireEnvironment();
        TestEnvironment.RequireGuestAgent();
        var data = await fixture.NewNodeDirectoryAsync("clone-noagent");
        var options = fixture.Silo("clone-noag", data);
        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true);
        var created = await DeployFixture.CreateAsync(client.Client, new VmSpec("mute-src", 1, 256, 1, DeployFixture.WebImage, null));
        var source = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        var sourceInfo = await Eventually.HoldsAsync(() => source.GetAsync(), v => v.State is VmState.Running or VmState.Failed, Boot, "the source is up");
        Assert.Equal(VmState.Running, sourceInfo.State);

        // The guest init respawns its agent: take the binary away, then end the running one (after this exec has answered).
        var exec = client.Client.GetGrain<IVmExecGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        var mute = await QemuExecTests.RunAsync(exec, new ExecRequest(["sh", "-c",
            "mv /usr/lib/formation/agent /usr/lib/formation/agent.off && (setsid sh -c 'sleep 1; killall agent' </dev/null >/dev/null 2>&1 &)"]));
        Assert.Equal(0, mute.Result.ExitCode);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var snapshot = await source.SnapshotAsync("mute-snap", stop: false);

        var clone = await DeployFixture.CreateAsync(client.Client,
            new VmSpec("mute-clone", 1, 256, 1, DeployFixture.WebImage, created.NodeId, FromSnapshot: snapshot.Id));
        var cloneVm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(clone.NodeId, clone.Id));
        var failed = await Eventually.HoldsAsync(() => cloneVm.GetAsync(), v => v.State is VmState.Running or VmState.Failed, Boot, "the clone ends");

        Assert.Equal(VmState.Failed, failed.State);
        Assert.Contains("guest agent could not be reached", failed.Reason);
        Assert.Null(failed.Address);
        var tap = await ProcessRunner.CaptureAsync("ip", ["-o", "link", "show", "dev", HostNetwork.TapName(clone.Id)], CancellationToken.None);
        Assert.DoesNotContain("master", tap); // its TAP never joined the bridge: the restored guest's old identity reached nobody
        Assert.Contains("hello", await Http.GetAsync(sourceInfo.Address!, DeployFixture.WebPort));
    }

    [Fact]
    public async Task CloneOfUnknownSnapshot_FailsSayingWhyAndNothingRuns()
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync("clone-missing");
        var options = fixture.Silo("clone-miss", data);
        await using var silo = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true);

        var clone = await DeployFixture.CreateAsync(client.Client,
            new VmSpec("ghost", 1, 256, 1, DeployFixture.WebImage, null, FromSnapshot: new string('f', 64)));

        Assert.Equal(VmState.Failed, clone.State);
        Assert.Contains("no node holds snapshot ffffffffffff any more", clone.Reason);
    }
}
