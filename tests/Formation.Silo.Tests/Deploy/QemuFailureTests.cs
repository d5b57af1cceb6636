using Formation.Errors;
using Formation.Silo.Hypervisors.Qemu;
using Formation.Silo.Platform;
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
        await using var node = await DeployNode.StartAsync(fixture, "dep-cap", "qemu",
            ("Formation__Capacity__VCpus", "2"), ("Formation__Capacity__MemoryMiB", "600"));

        var a = await DeployFixture.CreateAsync(node.Client, new VmSpec("cap-a", 1, 256, 1, DeployFixture.WebImage, null));
        var b = await DeployFixture.CreateAsync(node.Client, new VmSpec("cap-b", 1, 256, 1, DeployFixture.WebImage, null));
        var refused = await Assert.ThrowsAsync<FormationException>(() =>
            DeployFixture.CreateAsync(node.Client, new VmSpec("cap-c", 1, 256, 1, DeployFixture.WebImage, null)));
        Assert.Equal(ErrorKind.NoCapacity, refused.Kind);
        Assert.Contains("Best candidate: dep-cap", refused.Message);
        Assert.Contains("short of 1 vCPU and 168 MiB memory", refused.Message);

        await node.Vm(a.Id).DeleteAsync();
        var c = await DeployFixture.CreateAsync(node.Client, new VmSpec("cap-c", 1, 256, 1, DeployFixture.WebImage, null));
        Assert.Equal("dep-cap", c.NodeId);

        foreach (var id in new[] { b.Id, c.Id })
        {
            await node.Vm(id).DeleteAsync();
            await node.AssertNothingLeftAsync(id);
        }
    }

    [Fact]
    public async Task UnknownImage_FailsOnTheNodeSayingSo_AndHoldsNoNetwork()
    {
        await using var node = await DeployNode.StartAsync(fixture, "dep-noimg", "qemu");

        var created = await DeployFixture.CreateAsync(node.Client, new VmSpec("noimg", 1, 256, 1, "no-such-image:9", null));
        var failed = await Eventually.HoldsAsync(() => node.Vm(created.Id).GetAsync(), v => v.State == VmState.Failed, TimeSpan.FromSeconds(30), "Failed");

        Assert.Contains("image 'no-such-image:9' is not on node dep-noimg", failed.Reason);
        await node.Vm(created.Id).DeleteAsync();
        await node.AssertNothingLeftAsync(created.Id);
    }

    [Fact]
    public async Task BootTimeout_FailsWithTheConsoleTail_KillsTheProcess_DeleteCleansUp()
    {
        await using var node = await DeployNode.StartAsync(fixture, "dep-timeout", "qemu",
            ("Formation__Vms__ReadyLine", "A-LINE-NO-GUEST-PRINTS"), ("Formation__Vms__BootTimeout", "00:00:15"));

        var created = await DeployFixture.CreateAsync(node.Client, new VmSpec("slow", 1, 256, 1, DeployFixture.WebImage, null));
        var failed = await Eventually.HoldsAsync(() => node.Vm(created.Id).GetAsync(), v => v.State == VmState.Failed, TimeSpan.FromSeconds(60), "Failed");

        Assert.True(failed.Reason!.Contains("did not report ready within 15 s"), failed.Reason);
        Assert.Contains("FORMATION-GUEST-READY", failed.Reason); // the console tail shows what the guest did print
        var pidFile = Path.Combine(node.DataDirectory, "vms", created.Id, "vm.pid");
        Assert.False(ProcessInfo.TryReadPid(pidFile, out var pid) && ProcessInfo.IsAlive(pid), "the VM process outlived the timeout");

        await node.Vm(created.Id).DeleteAsync();
        await node.AssertNothingLeftAsync(created.Id);
    }

    [Fact]
    public async Task GuestPowersOffAtOnce_IsStopped_AndRestartPolicyAlwaysBootsItAgain()
    {
        await using var node = await DeployNode.StartAsync(fixture, "dep-off", "qemu");

        var never = await DeployFixture.CreateAsync(node.Client, new VmSpec("off-never", 1, 256, 1, DeployFixture.PowerOffImage, null));
        var stopped = await Eventually.HoldsAsync(() => node.Vm(never.Id).GetAsync(), v => v.State == VmState.Stopped, Boot, "Stopped");
        Assert.Equal("the guest powered off", stopped.Reason);
        Assert.Contains(VmState.Running, (await node.Vm(never.Id).GetEventsAsync()).Select(e => e.To));

        var always = await DeployFixture.CreateAsync(node.Client,
            new VmSpec("off-always", 1, 256, 1, DeployFixture.PowerOffImage, null, RestartPolicy.Always));
        await Eventually.HoldsAsync(node.Vm(always.Id).GetEventsAsync,
            events => events.Count(e => e.To == VmState.Stopped) >= 2 && events.Any(e => e.Reason?.Contains("restart policy") == true),
            Boot * 2, "two power-offs and an automatic restart");

        foreach (var id in new[] { never.Id, always.Id })
        {
            await node.Vm(id).DeleteAsync();
            await node.AssertNothingLeftAsync(id);
        }
    }

    [Fact]
    public async Task DeleteWhileBooting_LeavesNoProcessTapOrFiles()
    {
        await using var node = await DeployNode.StartAsync(fixture, "dep-early", "qemu");

        var created = await DeployFixture.CreateAsync(node.Client, new VmSpec("early", 1, 256, 1, DeployFixture.WebImage, null));
        await node.Vm(created.Id).DeleteAsync();

        // The delete returns only once a launch that was scheduled has started (and was ended) or given up: whatever
        // runs now outlived its deletion, and nothing can start later.
        var processName = QemuDriver.ProcessName(created.Id);
        var survivors = Directory.EnumerateDirectories("/proc").Select(Path.GetFileName)
            .Where(p => int.TryParse(p, out var pid) && ProcessInfo.CommandLineContains(pid, processName)).ToList();
        Assert.True(survivors.Count == 0, "the VM's qemu outlived its deletion; silo log:\n" + node.Silo.Output);
        await node.AssertNothingLeftAsync(created.Id);
    }
}
