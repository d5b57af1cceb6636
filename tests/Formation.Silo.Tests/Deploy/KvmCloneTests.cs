using Formation.Silo.Hypervisors.Kvm;
using Formation.Silo.Network;
using Formation.Vms;

namespace Formation.Silo.Tests.Deploy;

/// <summary>
/// A clone under the kvm driver (formation-vmm): its virtio-net device takes the clone's MAC in its config and does not
/// filter on the one the guest had, so the same agent step as under qemu gives the guest its identity.
/// </summary>
[Trait("Category", "Slow")]
public sealed class KvmCloneTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private static readonly TimeSpan Boot = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task CloneUnderFormationVmm_AnswersAtItsOwnAddressWithItsOwnIdentity_AndTheSourceKeepsItsOwn()
    {
        Prerequisites.RequireKvm("the kvm driver runs its VMs under formation-vmm on /dev/kvm");
        Prerequisites.Require(KvmDriver.FindBinary() is not null, "formation-vmm is not built next to formation-silo");
        await using var node = await DeployNode.StartAsync(fixture, "clone-kvm", "kvm", ("Formation__Vms__BootTimeout", "00:06:00"));
        var created = await DeployFixture.CreateAsync(node.Client, new VmSpec("kvm-src", 1, 256, 1, DeployFixture.WebImage, null));
        var source = node.Vm(created.Id);
        var sourceInfo = await Eventually.HoldsAsync(() => source.GetAsync(), v => v.State is VmState.Running or VmState.Failed, Boot, "Running");
        Assert.True(sourceInfo.State == VmState.Running, sourceInfo.Reason);
        Assert.Contains("hello", await Http.GetAsync(sourceInfo.Address!, DeployFixture.WebPort, TimeSpan.FromMinutes(2)));

        var snapshot = await source.SnapshotAsync("kvm-clone-snap", stop: false);
        var clone = await DeployFixture.CreateAsync(node.Client,
            new VmSpec("kvm-clone", 1, 256, 1, DeployFixture.WebImage, created.NodeId, FromSnapshot: snapshot.Id));
        var cloneInfo = await Eventually.HoldsAsync(() => node.Vm(clone.Id).GetAsync(), v => v.State is VmState.Running or VmState.Failed,
            TimeSpan.FromMinutes(2), "the clone runs");
        Assert.True(cloneInfo.State == VmState.Running, cloneInfo.Reason);
        Assert.NotEqual(sourceInfo.Address, cloneInfo.Address);
        var sourceBoot = (await source.GetEventsAsync()).First(e => e.To == VmState.Running).Reason;
        TestContext.Current.TestOutputHelper?.WriteLine($"clone (formation-vmm): {cloneInfo.Reason}; anchor, the source's cold boot: {sourceBoot} (same run)");

        var cloneExec = node.Client.GetGrain<IVmExecGrain>(GrainKeys.Vm(clone.NodeId, clone.Id));
        Assert.Contains("hello", await Http.GetAsync(cloneInfo.Address!, DeployFixture.WebPort, TimeSpan.FromMinutes(1)));
        Assert.Equal("kvm-clone\n", (await QemuExecTests.RunAsync(cloneExec, new ExecRequest(["hostname"]))).Stdout);
        var link = (await QemuExecTests.RunAsync(cloneExec, new ExecRequest(["ip", "addr", "show", "dev", "eth0"]))).Stdout;
        Assert.Contains(HostNetwork.MacFor(clone.Id), link);
        Assert.Contains($"inet {cloneInfo.Address}/", link);
        Assert.DoesNotContain($"inet {sourceInfo.Address}/", link);
        Assert.Contains("hello", await Http.GetAsync(sourceInfo.Address!, DeployFixture.WebPort, TimeSpan.FromMinutes(1)));

        await node.Vm(clone.Id).DeleteAsync();
        await node.AssertNothingLeftAsync(clone.Id);
        await source.DeleteAsync();
    }
}
