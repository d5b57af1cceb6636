using Formation.Silo.Tests.Network;
using Formation.Vms;

namespace Formation.Silo.Tests.Mesh;

/// <summary>
/// Roaming addresses on real kernels (<see cref="RoamingLab"/>: three hosts A, B, C in namespaces, real bridges,
/// WireGuard, nftables, proxy ARP): guest R runs on B with an address of A's subnet and A's IP configuration, as a VM
/// restored there after a move. Guests: A1 on A and C1 on C (R's account), CX on C and BX on B (another account), B1 on
/// B (R's account), and the outside (an underlay host with no route into the overlay).
/// </summary>
public sealed class RoamingAddressLiveTests
{
    private const int Port = 7000;
    private static readonly TimeSpan Handshake = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task GuestMovedToB_KeepsItsAddressOfA_ReachesAndIsReachedByItsAccountEverywhere_ButNotByAnother_AndCannotSpoof()
    {
        Prerequisites.RequireRoot("bridges, veth pairs, network namespaces, WireGuard interfaces and nftables");
        await using var lab = await RoamingLab.CreateAsync(3);
        var a = lab.Subnet(1);
        var b = lab.Subnet(2);
        var c = lab.Subnet(3);
        var a1 = await lab.AddGuestAsync(1, 1, Address(a, 5), "acct");
        var c1 = await lab.AddGuestAsync(3, 3, Address(c, 5), "acct");
        var cx = await lab.AddGuestAsync(3, 3, Address(c, 6), "other");
        var b1 = await lab.AddGuestAsync(2, 2, Address(b, 5), "acct");
        var bx = await lab.AddGuestAsync(2, 2, Address(b, 6), "other", guarded: false);
        var outside = await lab.AddOutsideAsync();

        // R: on B, A's address .9 and A's gateway; its port is not in B's link group yet (unguarded, to show the attack).
        var r = await lab.AddGuestAsync(2, 1, Address(a, 9), "acct", guarded: false);
        foreach (var ns in new[] { a1.Namespace, c1.Namespace, b1.Namespace, bx.Namespace, cx.Namespace, r.Namespace, outside })
        {
            await lab.ServeAsync(ns, Port);
        }

        // Every node routes A.9 to B: B's peer holds the /32 at A and C; A routes its own former address into the mesh.
        Assert.Contains($"{r.Address}/32", await lab.MeshStateAsync(1));
        Assert.Contains($"{r.Address}/32", await lab.MeshStateAsync(3));
        Assert.DoesNotContain($"{r.Address}/32", await lab.MeshStateAsync(2));
        Assert.Equal(lab.MeshInterface(1), await lab.RouteDeviceAsync(1, r.Address));
        Assert.Equal("br0", await lab.RouteDeviceAsync(2, r.Address));

        // Without the bridge guard, another account's guest on B reaches R (switched or routed back through B).
        Assert.True(await OverlayLab.PingAsync(bx.Namespace, r.Address));
        Assert.True(await BridgeLab.ConnectsAsync(bx.Namespace, r.Address, Port));

        // Spoofing without the guard works: R sends as an address of B's subnet and as another of A's, and B1 receives it.
        var spoofB = Address(b, 77);
        var spoofA = Address(a, 78);
        await RoamingLab.In(r.Namespace, "ip", "addr", "add", $"{spoofB}/32", "dev", "eth0");
        await RoamingLab.In(r.Namespace, "ip", "addr", "add", $"{spoofA}/32", "dev", "eth0");
        Assert.True(await OverlayLab.PingAsync(r.Namespace, b1.Address)); // as itself
        foreach (var spoof in new[] { spoofB, spoofA })
        {
            await RoamingLab.WatchSourceAsync(b1.Namespace, spoof);
            await OverlayLab.PingAsync(r.Namespace, b1.Address, source: spoof);
            Assert.True(await RoamingLab.SeenAsync(b1.Namespace) >= 1, $"unguarded, R's packets from {spoof} reach B1");
        }

        await lab.GuardAsync(r);
        await lab.GuardAsync(bx);
        foreach (var spoof in new[] { spoofB, spoofA })
        {
            await RoamingLab.WatchSourceAsync(b1.Namespace, spoof); // counter back to 0
            Assert.False(await OverlayLab.PingAsync(r.Namespace, b1.Address, source: spoof));
            Assert.Equal(0, await RoamingLab.SeenAsync(b1.Namespace));
        }

        Assert.True(await OverlayLab.PingAsync(r.Namespace, b1.Address)); // as itself, guarded
        await RoamingLab.In(r.Namespace, "ip", "addr", "del", $"{spoofB}/32", "dev", "eth0");
        await RoamingLab.In(r.Namespace, "ip", "addr", "del", $"{spoofA}/32", "dev", "eth0");

        // R reaches A1 (its "on-link" home subnet, over the mesh), C1, B1 on its own bridge and the outside (NAT by B).
        await Eventually.HoldsAsync(() => OverlayLab.PingAsync(r.Namespace, a1.Address), ok => ok, Handshake, "R pinging A1 over the mesh");
        await Eventually.HoldsAsync(() => OverlayLab.PingAsync(r.Namespace, c1.Address), ok => ok, Handshake, "R pinging C1 over the mesh");
        Assert.True(await BridgeLab.ConnectsAsync(r.Namespace, a1.Address, Port));
        Assert.True(await BridgeLab.ConnectsAsync(r.Namespace, c1.Address, Port));
        Assert.True(await OverlayLab.PingAsync(r.Namespace, b1.Address));
        Assert.True(await BridgeLab.ConnectsAsync(r.Namespace, b1.Address, Port));
        Assert.True(await OverlayLab.PingAsync(r.Namespace, lab.UnderlayAddress(200)));
        Assert.True(await BridgeLab.ConnectsAsync(r.Namespace, lab.UnderlayAddress(200), Port));

        // They reach R: A1 (A answers its ARP for A.9 and routes it into the mesh), C1, B1.
        await Eventually.HoldsAsync(() => OverlayLab.PingAsync(a1.Namespace, r.Address), ok => ok, Handshake, "A1 pinging R");
        Assert.True(await BridgeLab.ConnectsAsync(a1.Namespace, r.Address, Port));
        Assert.True(await OverlayLab.PingAsync(c1.Namespace, r.Address));
        Assert.True(await BridgeLab.ConnectsAsync(c1.Namespace, r.Address, Port));
        Assert.True(await OverlayLab.PingAsync(b1.Namespace, r.Address));
        Assert.True(await BridgeLab.ConnectsAsync(b1.Namespace, r.Address, Port));

        // Another account: not on B's bridge (bridge guard), not over the mesh (overlay guard), neither way.
        Assert.True(await OverlayLab.PingAsync(bx.Namespace, lab.Subnet(2).Gateway.ToString())); // BX itself works
        Assert.False(await OverlayLab.PingAsync(bx.Namespace, r.Address));
        Assert.False(await BridgeLab.ConnectsAsync(bx.Namespace, r.Address, Port));
        Assert.False(await OverlayLab.PingAsync(r.Namespace, bx.Address));
        Assert.False(await OverlayLab.PingAsync(cx.Namespace, r.Address));
        Assert.False(await BridgeLab.ConnectsAsync(cx.Namespace, r.Address, Port));
        Assert.False(await OverlayLab.PingAsync(r.Namespace, cx.Address));

        // The outside reaches R only through a port B publishes for it.
        Assert.False(await BridgeLab.ConnectsAsync(outside, r.Address, Port));
        var hostPort = FreePorts.Next();
        await lab.PublishAsync(2, r, new PortPublish(hostPort, Port));
        Assert.True(await BridgeLab.ConnectsAsync(outside, lab.UnderlayAddress(12), hostPort));

        // R leaves B (deleted, or moved on): no node keeps the /32, A's bridge owns the address again, a guest made there
        // with it works from A and C.
        await lab.RemoveGuestAsync(r);
        for (var host = 1; host <= 3; host++)
        {
            Assert.DoesNotContain($"{r.Address}/32", await lab.MeshStateAsync(host));
        }

        Assert.Equal("br0", await lab.RouteDeviceAsync(1, r.Address));
        Assert.Equal(lab.MeshInterface(2), await lab.RouteDeviceAsync(2, r.Address));
        var again = await lab.AddGuestAsync(1, 1, r.Address, "acct");
        await lab.ServeAsync(again.Namespace, Port);
        Assert.True(await OverlayLab.PingAsync(a1.Namespace, again.Address));
        Assert.True(await OverlayLab.PingAsync(c1.Namespace, again.Address));
        Assert.True(await BridgeLab.ConnectsAsync(c1.Namespace, again.Address, Port));
        Assert.True(await BridgeLab.ConnectsAsync(again.Namespace, c1.Address, Port));
    }

    [Fact]
    public async Task GuestMovingOnFromBToC_TheLaterClaimTakesTheAddressAtOnce_BeforeBLetsGo()
    {
        Prerequisites.RequireRoot("bridges, veth pairs, network namespaces, WireGuard interfaces and nftables");
        await using var lab = await RoamingLab.CreateAsync(3);
        var a1 = await lab.AddGuestAsync(1, 1, Address(lab.Subnet(1), 5), "acct");
        var onB = await lab.AddGuestAsync(2, 1, Address(lab.Subnet(1), 9), "acct");
        await Eventually.HoldsAsync(() => OverlayLab.PingAsync(a1.Namespace, onB.Address), ok => ok, Handshake, "A1 pinging R on B");

        // The destination attaches while the source still holds it (a migration's switch-over): C's claim is the later.
        var onC = await lab.AddGuestAsync(3, 1, onB.Address, "acct");
        Assert.Contains($"{onB.Address}/32", await lab.MeshStateAsync(2)); // B routes it to C now, though its bridge still has the old copy
        Assert.Equal(lab.MeshInterface(1), await lab.RouteDeviceAsync(1, onB.Address));
        await RoamingLab.WatchSourceAsync(onB.Namespace, a1.Address);
        await RoamingLab.WatchSourceAsync(onC.Namespace, a1.Address);
        await Eventually.HoldsAsync(() => OverlayLab.PingAsync(a1.Namespace, onC.Address), ok => ok, Handshake, "A1 pinging R on C");
        Assert.True(await RoamingLab.SeenAsync(onC.Namespace) >= 1);
        Assert.Equal(0, await RoamingLab.SeenAsync(onB.Namespace));

        await lab.RemoveGuestAsync(onB);
        Assert.True(await OverlayLab.PingAsync(a1.Namespace, onC.Address));
        Assert.True(await OverlayLab.PingAsync(onC.Namespace, a1.Address));
    }

    private static string Address(Formation.Networking.Ipv4Subnet subnet, int host) => subnet.VmAddress(host - 2).ToString();
}
