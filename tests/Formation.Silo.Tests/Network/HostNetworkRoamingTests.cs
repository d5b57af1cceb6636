using System.Net;
using Formation.Errors;
using Formation.Networking;
using Formation.Silo.Network;
using Formation.Silo.Platform;
using Formation.Silo.Tests.Clusters;
using Formation.Silo.Tests.Mesh;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Tests.Network;

/// <summary>
/// The roaming API of <see cref="HostNetwork"/> on real bridges, TAPs and nftables (this namespace) with the cluster's
/// real address pools and subnet plan: two nodes of one host, a VM detached at home keeping its lease, attached on the
/// other node with its home address, then deleted there, which frees it at home.
/// </summary>
public sealed class HostNetworkRoamingTests(SimClusterFixture fixture) : IClassFixture<SimClusterFixture>
{
    [Fact]
    public async Task VmMovedToAnotherNode_KeepsItsHomeLease_IsHostedWithItsHomeConfiguration_AndItsDeleteFreesItAtHome()
    {
        Prerequisites.RequireRoot("bridges, TAPs and nftables");
        var ct = TestContext.Current.CancellationToken;
        var tag = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];
        var third = Random.Shared.Next(0, 200);
        await using var home = new Node($"roamhome-{tag}", $"10.98.{third}.0/24", fixture.Client);
        await using var host = new Node($"roamhost-{tag}", $"10.98.{third + 1}.0/24", fixture.Client);
        var vm = $"vm-rm{tag}";

        var native = await home.Network.AttachAsync(vm, "acct", ct);
        await home.Network.DetachAsync(vm, ct, keepAddress: true);
        Assert.Equal(native.Address, (await home.Pool.ListAsync())[vm]); // the lease stays at home

        // A VM whose home pool does not lease it that address is refused.
        var stranger = await Assert.ThrowsAsync<FormationException>(() => host.Network.AttachAsync($"vm-rx{tag}", "acct", ct, homeAddress: native.Address));
        Assert.Equal(ErrorKind.Conflict, stranger.Kind);

        var moved = await host.Network.AttachAsync(vm, "acct", ct, homeAddress: native.Address);
        Assert.Equal(native with { Tap = moved.Tap }, moved); // the same address, MAC, gateway and prefix as at home
        Assert.Equal(HostNetwork.TapName(vm), moved.Tap);
        Assert.Equal([native.Address], host.Network.Hosted.Select(h => h.Address));
        Assert.Contains($"{native.Address} dev {host.Network.BridgeName}", await VethGuest.CaptureAsync("ip", "-4", "route", "show", native.Address + "/32"));
        var table = await VethGuest.CaptureAsync("nft", "list", "table", "bridge", host.Guard.Table);
        Assert.Contains($"ip saddr != {native.Address} drop", table);
        Assert.Contains($"ether saddr != {native.Mac} drop", table);
        Assert.Equal("1", (await File.ReadAllTextAsync($"/proc/sys/net/ipv4/conf/{host.Network.BridgeName}/proxy_arp", ct)).Trim());

        // The home node's guests may send to their former neighbour's address once the mesh says it is away.
        await home.Network.SetAwayAsync([IPAddress.Parse(native.Address)], ct);

        await host.Network.DetachAsync(vm, ct);
        Assert.Empty(host.Network.Hosted);
        Assert.DoesNotContain(native.Address, await VethGuest.CaptureAsync("ip", "-4", "route", "show", native.Address + "/32"));
        Assert.False((await home.Pool.ListAsync()).ContainsKey(vm)); // deleted where it ran: freed at home
    }

    private sealed class Node : IAsyncDisposable
    {
        public Node(string nodeId, string subnet, IGrainFactory grains)
        {
            var identity = new NodeIdentity(nodeId);
            Guard = new BridgeGuard(identity);
            Overlay = new OverlayGuard(identity);
            Egress = new EgressNat(identity);
            Pool = grains.GetGrain<IAddressPoolGrain>(nodeId);
            Network = new HostNetwork(grains, identity, Guard, Overlay, Egress, Options.Create(new NetworkOptions { Subnet = subnet }), NullLogger<HostNetwork>.Instance);
        }

        public BridgeGuard Guard { get; }

        public OverlayGuard Overlay { get; }

        public EgressNat Egress { get; }

        public IAddressPoolGrain Pool { get; }

        public HostNetwork Network { get; }

        public async ValueTask DisposeAsync()
        {
            await VethGuest.CaptureAsync("ip", "link", "del", Network.BridgeName);
            await HostNft.DeleteAsync("bridge", Guard.Table, CancellationToken.None);
            await HostNft.DeleteAsync("inet", Overlay.Table, CancellationToken.None);
            await HostNft.DeleteAsync("ip", Egress.Table, CancellationToken.None);
        }
    }
}
