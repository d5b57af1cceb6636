using Formation.Silo.Network;
using Formation.Silo.Tests.Processes;
using Formation.Vms;

namespace Formation.Silo.Tests.Deploy;

/// <summary>
/// Real VMs under the qemu driver (TCG here): a tiny image serving HTTP on a TAP port of the node's bridge, the
/// whole lifecycle, and a silo killed with SIGKILL that re-adopts its running VMs.
/// </summary>
[Trait("Category", "Slow")]
public sealed class QemuDeployTests(DeployFixture fixture) : IClassFixture<DeployFixture>
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task WebVm_ServesFromTheHost_ThroughEveryLifecycleCommand_AndLeavesNothingBehind()
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync("web");
        var options = fixture.Silo("dep-web", data);
        string vmId, address;
        string tap;

        await using (var silo = await SiloProcess.StartAsync(options))
        await using (var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true))
        {
            var created = await DeployFixture.CreateAsync(client.Client, new VmSpec("web-1", 1, 256, 1, DeployFixture.WebImage, null));
            vmId = created.Id;
            tap = HostNetwork.TapName(vmId);
            var vm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm(created.NodeId, created.Id));
            var running = await WaitAsync(vm, VmState.Running, Boot);
            address = running.Address ?? throw new Xunit.Sdk.XunitException("a running VM has no address");
            Assert.Contains("8080/tcp", running.Ports ?? []);
            Assert.Contains("hello from a formation vm", await Http.GetAsync(address, DeployFixture.WebPort));
            var guard = new BridgeGuard(new Silo.Platform.NodeIdentity("dep-web")).Table;
            var entry = await Silo.Platform.ProcessRunner.CaptureAsync("nft", ["list", "table", "bridge", guard], CancellationToken.None);
            Assert.Contains($"\"{tap}\"", entry); // the guest answered through its bridge entry
            Assert.Contains(HostNetwork.MacFor(vmId), entry);

            // A neighbour on the host's network that routes through the node (its default route) gets nothing from the
            // guest: this node has no mesh, its overlay guard's table came with the bridge. Without the table it would.
            await Silo.Platform.HostForwarding.EnableIpv4Async(CancellationToken.None); // as the mesh or a build turns it on
            await using (var neighbour = await Mesh.VethGuest.CreateAsync($"10.252.{Random.Shared.Next(1, 250)}"))
            {
                var overlay = new OverlayGuard(new Silo.Platform.NodeIdentity("dep-web")).Table;
                Assert.Contains("jump from_underlay", await Silo.Platform.ProcessRunner.CaptureAsync("nft", ["list", "table", "inet", overlay], CancellationToken.None));
                Assert.Null(await FetchFromAsync(neighbour.Namespace, address));
                await Silo.Platform.ProcessRunner.CaptureAsync("nft", ["delete", "table", "inet", overlay], CancellationToken.None);
                Assert.Contains("hello from a formation vm", await FetchFromAsync(neighbour.Namespace, address));
            }

            Assert.Equal(VmState.Paused, (await vm.PauseAsync()).State);
            Assert.Null(await Http.TryGetAsync(address, DeployFixture.WebPort, TimeSpan.FromSeconds(2)));
            Assert.Equal(VmState.Running, (await vm.ResumeAsync()).State);
            Assert.Contains("hello", await Http.GetAsync(address, DeployFixture.WebPort));

            await vm.StopAsync();
            await WaitAsync(vm, VmState.Stopped, TimeSpan.FromSeconds(60));
            Assert.Null(await Http.TryGetAsync(address, DeployFixture.WebPort, TimeSpan.FromSeconds(2)));
            await vm.StartAsync();
            Assert.Equal(address, (await WaitAsync(vm, VmState.Running, Boot)).Address);
            Assert.Contains("hello", await Http.GetAsync(address, DeployFixture.WebPort));

            await vm.RebootAsync();
            await WaitAsync(vm, VmState.Running, Boot);
            Assert.Contains("hello", await Http.GetAsync(address, DeployFixture.WebPort));
            var events = (await vm.GetEventsAsync()).Select(e => e.Reason).ToList();
            Assert.Contains("reboot requested", events);

            await vm.DeleteAsync();
            Assert.False(await HostNetwork.LinkExistsAsync(tap, CancellationToken.None), "the VM's TAP outlived it");
            var ruleset = await Silo.Platform.ProcessRunner.CaptureAsync("nft", ["list", "ruleset"], CancellationToken.None);
            Assert.DoesNotContain(tap, ruleset);
            Assert.DoesNotContain(HostNetwork.MacFor(vmId), ruleset);
            Assert.False(Directory.Exists(Path.Combine(data, "vms", vmId)), "the VM's directory outlived it");
            Assert.Empty(await client.Client.GetGrain<Networking.IAddressPoolGrain>("dep-web").ListAsync());
            Assert.Null(await Http.TryGetAsync(address, DeployFixture.WebPort, TimeSpan.FromSeconds(2)));
        }
    }

    [Fact]
    public async Task TwoRunningVms_SiloSigkilled_KeepServing_AndAreReadoptedWithWorkingLifecycle()
    {
        DeployFixture.RequireEnvironment();
        var data = await fixture.NewNodeDirectoryAsync("kill");
        var options = fixture.Silo("dep-kill", data);
        var vms = new List<(string Id, string Address)>();

        await using (var silo = await SiloProcess.StartAsync(options))
        await using (var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true))
        {
            foreach (var name in new[] { "kill-a", "kill-b" })
            {
                var created = await DeployFixture.CreateAsync(client.Client, new VmSpec(name, 1, 256, 1, DeployFixture.WebImage, null));
                vms.Add((created.Id, ""));
            }

            for (var i = 0; i < vms.Count; i++)
            {
                var running = await WaitAsync(client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("dep-kill", vms[i].Id)), VmState.Running, Boot);
                vms[i] = (vms[i].Id, running.Address!);
                Assert.Contains("hello", await Http.GetAsync(running.Address!, DeployFixture.WebPort));
            }

            await silo.KillAsync();
            foreach (var (_, address) in vms)
            {
                Assert.Contains("hello", await Http.GetAsync(address, DeployFixture.WebPort)); // VMs outlive their silo
            }
        }

        await using (var silo = await SiloProcess.StartAsync(options with { }))
        await using (var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort, asNode: true))
        {
            foreach (var (id, address) in vms)
            {
                var vm = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("dep-kill", id));
                Assert.Equal(VmState.Running, (await vm.GetAsync()).State);
                Assert.Contains("hello", await Http.GetAsync(address, DeployFixture.WebPort));
                var console = client.Client.GetGrain<IVmConsoleGrain>(GrainKeys.Vm("dep-kill", id));
                var log = System.Text.Encoding.UTF8.GetString((await console.ReadAsync(0, 1 << 20, TimeSpan.Zero)).Data);
                Assert.Contains("FORMATION-GUEST-READY", log);
            }

            var first = client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("dep-kill", vms[0].Id));
            await first.PauseAsync();
            Assert.Null(await Http.TryGetAsync(vms[0].Address, DeployFixture.WebPort, TimeSpan.FromSeconds(2)));
            await first.ResumeAsync();
            await first.StopAsync();
            await WaitAsync(first, VmState.Stopped, TimeSpan.FromSeconds(60));
            await first.StartAsync();
            await WaitAsync(first, VmState.Running, Boot);
            Assert.Contains("hello", await Http.GetAsync(vms[0].Address, DeployFixture.WebPort));

            foreach (var (id, _) in vms)
            {
                await client.Client.GetGrain<IVmGrain>(GrainKeys.Vm("dep-kill", id)).DeleteAsync();
                Assert.False(await HostNetwork.LinkExistsAsync(HostNetwork.TapName(id), CancellationToken.None));
            }

            Assert.Empty(await client.Client.GetGrain<Networking.IAddressPoolGrain>("dep-kill").ListAsync());
            Assert.Empty(Directory.EnumerateDirectories(Path.Combine(data, "vms")));
        }
    }

    private static Task<VmInfo> WaitAsync(IVmGrain vm, VmState state, TimeSpan timeout) =>
        Eventually.HoldsAsync(() => vm.GetAsync(), v => v.State == state || (v.State == VmState.Failed && state != VmState.Failed), timeout, $"VM {state}")
            .ContinueWith(t =>
            {
                var info = t.Result;
                Assert.True(info.State == state, $"VM is {info.State}: {info.Reason}");
                return info;
            });

    private static async Task<string?> FetchFromAsync(string ns, string address)
    {
        var result = await Silo.Platform.ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "curl", "-sS", "--max-time", "3", $"http://{address}:{DeployFixture.WebPort}/"],
            null, 10, TimeSpan.FromSeconds(20), CancellationToken.None);
        return result.ExitCode == 0 ? string.Join('\n', result.OutputTail) : null;
    }
}
