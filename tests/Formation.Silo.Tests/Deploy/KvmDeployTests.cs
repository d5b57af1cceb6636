using Formation.Silo.Hypervisors.Kvm;
using Formation.Silo.Platform;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Deploy;

/// <summary>
/// The kvm driver: Formation's own VMM (formation-vmm) boots the tiny web image with the Formation guest kernel. On a
/// nested-PVM host like CI's the guest kernel runs under KVM's instruction emulator, so this boot takes minutes. Exec
/// reaches its guest agent through formation-vmm's virtio-vsock device.
/// </summary>
[Trait("Category", "Slow")]
public sealed class KvmDeployTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private static readonly TimeSpan Boot = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task WebVm_UnderFormationVmm_BootsToReady_ServesHttp_StopsAndIsDeleted()
    {
        Prerequisites.RequireKvm("the kvm driver runs its VMs under formation-vmm on /dev/kvm");
        Prerequisites.Require(KvmDriver.FindBinary() is not null, "formation-vmm is not built next to formation-silo");
        await using var node = await DeployNode.StartAsync(fixture, "dep-kvm", "kvm", ("Formation__Vms__BootTimeout", "00:06:00"));

        var created = await DeployFixture.CreateAsync(node.Client, new VmSpec("kvm-web", 1, 256, 1, DeployFixture.WebImage, null));
        var vm = node.Vm(created.Id);
        var running = await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State is VmState.Running or VmState.Failed, Boot, "Running");
        Assert.True(running.State == VmState.Running, running.Reason);
        Assert.Equal("kvm", running.HypervisorDriver);
        Assert.True(ProcessInfo.TryReadPid(Path.Combine(node.DataDirectory, "vms", created.Id, "vm.pid"), out var pid) &&
            ProcessInfo.CommandLineContains(pid, "formation-vmm"), "not a formation-vmm process");
        Assert.Contains("hello", await Http.GetAsync(running.Address!, DeployFixture.WebPort, TimeSpan.FromMinutes(2)));

        // exec under formation-vmm: the guest agent over the virtio-vsock device and its hybrid Unix socket
        var exec = node.Client.GetGrain<IVmExecGrain>(GrainKeys.Vm(created.NodeId, created.Id));
        var outcome = await QemuExecTests.RunAsync(exec, new ExecRequest(["sh", "-c", "echo out; echo err >&2; exit 3"]));
        Assert.Equal(("out\n", "err\n", 3), (outcome.Stdout, outcome.Stderr, outcome.Result.ExitCode));

        // snapshot and restore through the grain: the restored guest serves again without booting
        await QemuExecTests.RunAsync(exec, new ExecRequest(["sh", "-c", "echo before > /marker"]));
        var snapshot = await vm.SnapshotAsync("kvm-snap", stop: false);
        Assert.Equal("kvm", snapshot.Driver);
        await QemuExecTests.RunAsync(exec, new ExecRequest(["sh", "-c", "echo after > /marker"]));
        var restored = await vm.RestoreAsync(snapshot.Id);
        restored = await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State is VmState.Running or VmState.Failed, TimeSpan.FromMinutes(1), "Running");
        Assert.True(restored.State == VmState.Running, restored.Reason);
        Assert.Contains("hello", await Http.GetAsync(running.Address!, DeployFixture.WebPort, TimeSpan.FromMinutes(1)));
        Assert.Equal("before\n", (await QemuExecTests.RunAsync(exec, new ExecRequest(["cat", "/marker"]))).Stdout);

        await vm.StopAsync();
        var stopped = await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State is VmState.Stopped or VmState.Failed, TimeSpan.FromMinutes(3), "Stopped");
        Assert.True(stopped.State == VmState.Stopped, stopped.Reason);

        await vm.DeleteAsync();
        await node.AssertNothingLeftAsync(created.Id);
    }

    [Fact]
    public async Task JailedVm_SiloSigkilled_KeepsServing_AndIsReadoptedWithWorkingLifecycle()
    {
        Prerequisites.RequireKvm("the kvm driver runs its VMs under formation-vmm on /dev/kvm");
        Prerequisites.Require(KvmDriver.FindBinary() is not null, "formation-vmm is not built next to formation-silo");
        string vmId, address;
        SiloProcessOptions options;
        await using (var node = await DeployNode.StartAsync(fixture, "dep-kvm-kill", "kvm", ("Formation__Vms__BootTimeout", "00:06:00")))
        {
            options = node.Silo.Options;
            vmId = (await DeployFixture.CreateAsync(node.Client, new VmSpec("kvm-kill", 1, 256, 1, DeployFixture.WebImage, null))).Id;
            var running = await Eventually.HoldsAsync(() => node.Vm(vmId).GetAsync(), v => v.State is VmState.Running or VmState.Failed, Boot, "Running");
            Assert.True(running.State == VmState.Running, running.Reason);
            address = running.Address!;
            Assert.Contains("hello", await Http.GetAsync(address, DeployFixture.WebPort, TimeSpan.FromMinutes(2)));
            await node.Silo.KillAsync();
            Assert.Contains("hello", await Http.GetAsync(address, DeployFixture.WebPort)); // the jailed VMM outlives its silo
        }

        await using var silo = await SiloProcess.StartAsync(options with { });
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort);
        var vm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(options.NodeId, vmId));
        Assert.Equal(VmState.Running, (await vm.GetAsync()).State);
        Assert.True(ProcessInfo.TryReadPid(Path.Combine(options.DataDirectory, "vms", vmId, "vm.pid"), out var pid));
        Assert.Contains("Seccomp:\t2", File.ReadAllText($"/proc/{pid}/status"));
        await vm.PauseAsync();
        Assert.Null(await Http.TryGetAsync(address, DeployFixture.WebPort, TimeSpan.FromSeconds(2)));
        await vm.ResumeAsync();
        Assert.Contains("hello", await Http.GetAsync(address, DeployFixture.WebPort, TimeSpan.FromMinutes(1)));
        await vm.StopAsync();
        var stopped = await Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State is VmState.Stopped or VmState.Failed, TimeSpan.FromMinutes(3), "Stopped");
        Assert.True(stopped.State == VmState.Stopped, stopped.Reason);
        await vm.DeleteAsync();
        Assert.False(Directory.Exists(Path.Combine(options.DataDirectory, "vms", vmId)));
    }
}
