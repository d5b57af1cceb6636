using System.Net;
using Formation.Silo.Network;
using Formation.Silo.Platform;
using Formation.Silo.Tests.Mesh;
using Formation.Vms;

namespace Formation.Silo.Tests.Network;

/// <summary>
/// The overlay guard on real nftables between two nodes joined by a real WireGuard tunnel (<see cref="OverlayLab"/>):
/// guest A1 (account a) on node 1, A2 (a) and B2 (b) on node 2. The attack — B2 reaching A1 by its address, routed
/// over the tunnel — is first shown to work without the guard, then to fail with it (ICMP and TCP), while A2, node 2
/// itself and a published port of node 1 still reach A1.
/// </summary>
public sealed class OverlayGuardLiveTests
{
    private const int Port = 7000;

    [Fact]
    public async Task GuestOfAnotherAccountOnAnotherNode_CannotReachTheGuest_ItsOwnAccountAndTheFabricStillCan()
    {
        Prerequisites.RequireRoot("a bridge, veth pairs, network namespaces, WireGuard interfaces and nftables");
        var ct = TestContext.Current.CancellationToken;
        await using var lab = await OverlayLab.CreateAsync();
        var a1 = await lab.Node1.AddGuestAsync(5, "a");
        await lab.Node1.GuardAsync(a1); // as a VM's TAP is: it sends only as itself
        await lab.Node1.ServeAsync(a1, Port);
        var a2 = await lab.AddNode2GuestAsync(7);
        var b2 = await lab.AddNode2GuestAsync(8);
        var c2 = await lab.AddNode2GuestAsync(9); // holds an address no known VM holds

        // Unguarded, the attack works: B2 reaches A1 over the tunnel (the first ping also makes the handshake).
        await Eventually.HoldsAsync(() => OverlayLab.PingAsync(b2, a1.Address), ok => ok, TimeSpan.FromSeconds(20), "B2 pinging A1 over the unguarded tunnel");
        Assert.True(await BridgeLab.ConnectsAsync(b2, a1.Address, Port));
        Assert.True(await OverlayLab.PingAsync(c2, a1.Address));

        await lab.Guard.EnsureAsync(lab.Mesh1, lab.Node1.Bridge, ct);
        await lab.Guard.SetFabricAsync([IPAddress.Parse(lab.Node2Gateway)], ct);
        Assert.False(await OverlayLab.PingAsync(a2, a1.Address)); // owners not known yet: no guest passes
        await lab.Guard.SetOwnersAsync(Owners((a1.Address, "a"), (lab.Node2Address(7), "a"), (lab.Node2Address(8), "b")), ct);

        Assert.False(await OverlayLab.PingAsync(b2, a1.Address));
        Assert.False(await BridgeLab.ConnectsAsync(b2, a1.Address, Port));
        Assert.False(await OverlayLab.PingAsync(c2, a1.Address)); // unknown: fail closed
        Assert.True(await OverlayLab.PingAsync(a2, a1.Address));
        Assert.True(await BridgeLab.ConnectsAsync(a2, a1.Address, Port));
        Assert.True(await OverlayLab.PingAsync(lab.Node2, a1.Address, source: lab.Node2Gateway)); // node 2 itself: proxy, health checks
        Assert.True(await OverlayLab.PingAsync(b2, lab.Node1.Gateway)); // node 1 itself (DNS, proxy) is not the guard's

        // A port node 1 publishes for A1 is public by intent: B2 reaches it at node 1's overlay address.
        var forwards = new PortForwards(new NodeIdentity("xnodepub-" + Guid.NewGuid().ToString("N")[..6]));
        try
        {
            var hostPort = FreePorts.Next();
            await forwards.OpenAsync("vm-a1", a1.Address, [new PortPublish(hostPort, Port)], checkHost: true, ct);
            Assert.True(await BridgeLab.ConnectsAsync(b2, lab.Node1.Gateway, hostPort));
        }
        finally
        {
            await HostNft.DeleteAsync("ip", forwards.Table, CancellationToken.None);
        }
    }

    [Fact]
    public async Task OwnerChanges_ApplyAtOnce_AndARestartedSiloKeepsThePreviousTableUntilItKnowsTheOwners()
    {
        Prerequisites.RequireRoot("a bridge, veth pairs, network namespaces, WireGuard interfaces and nftables");
        var ct = TestContext.Current.CancellationToken;
        await using var lab = await OverlayLab.CreateAsync();
        var a1 = await lab.Node1.AddGuestAsync(5, "a");
        await lab.Node1.GuardAsync(a1);
        var a2 = await lab.AddNode2GuestAsync(7);
        await Eventually.HoldsAsync(() => OverlayLab.PingAsync(a2, a1.Address), ok => ok, TimeSpan.FromSeconds(20), "A2 pinging A1 over the tunnel");

        await lab.Guard.EnsureAsync(lab.Mesh1, lab.Node1.Bridge, ct);
        var sameAccount = Owners((a1.Address, "a"), (lab.Node2Address(7), "a"));
        await lab.Guard.SetOwnersAsync(sameAccount, ct);
        Assert.True(await OverlayLab.PingAsync(a2, a1.Address));
        var loads = lab.Guard.Loads;
        await lab.Guard.SetOwnersAsync(sameAccount, ct);
        Assert.Equal(loads, lab.Guard.Loads); // nothing changed, nothing loaded

        // A2's VM deleted and its address given to a VM of account b: cut at once; an address no VM holds: cut.
        await lab.Guard.SetOwnersAsync(Owners((a1.Address, "a"), (lab.Node2Address(7), "b")), ct);
        Assert.False(await OverlayLab.PingAsync(a2, a1.Address));
        await lab.Guard.SetOwnersAsync(Owners((a1.Address, "a")), ct);
        Assert.False(await OverlayLab.PingAsync(a2, a1.Address));
        await lab.Guard.SetOwnersAsync(sameAccount, ct);
        Assert.True(await OverlayLab.PingAsync(a2, a1.Address));

        // A new silo of the node: the table its predecessor left stays (A2 still reaches A1) until it knows the owners.
        var restarted = new OverlayGuard(lab.Node);
        await restarted.EnsureAsync(lab.Mesh1, lab.Node1.Bridge, ct);
        await restarted.SetFabricAsync([IPAddress.Parse(lab.Node2Gateway)], ct);
        Assert.Equal(0, restarted.Loads);
        Assert.True(await OverlayLab.PingAsync(a2, a1.Address));
        await restarted.SetOwnersAsync(Owners((a1.Address, "a")), ct);
        Assert.Equal(1, restarted.Loads);
        Assert.False(await OverlayLab.PingAsync(a2, a1.Address));
    }

    [Fact]
    public async Task NeighbourOnTheUnderlay_RoutingThroughTheNode_CannotReachItsGuests_PublishedPortsAndEgressRepliesStillPass()
    {
        Prerequisites.RequireRoot("a bridge, veth pairs, network namespaces, WireGuard interfaces and nftables");
        var ct = TestContext.Current.CancellationToken;
        await using var lab = await OverlayLab.CreateAsync();
        var a1 = await lab.Node1.AddGuestAsync(5, "a");
        var b1 = await lab.Node1.AddGuestAsync(6, "b");
        await lab.Node1.GuardAsync(a1);
        await lab.Node1.GuardAsync(b1);
        await lab.Node1.ServeAsync(a1, Port);
        var a2 = await lab.AddNode2GuestAsync(7);
        var neighbour = await lab.AddNeighbourAsync(); // ip route add <node 1's VM subnet> via <node 1's underlay address>

        // Unguarded, the attack works: the neighbour pings and connects to node 1's guests, routed by node 1.
        Assert.True(await OverlayLab.PingAsync(neighbour, a1.Address));
        Assert.True(await BridgeLab.ConnectsAsync(neighbour, a1.Address, Port));
        Assert.True(await OverlayLab.PingAsync(neighbour, b1.Address));

        await lab.Guard.EnsureAsync(lab.Mesh1, lab.Node1.Bridge, ct);
        await lab.Guard.SetFabricAsync([IPAddress.Parse(lab.Node2Gateway)], ct);
        await lab.Guard.SetOwnersAsync(Owners((a1.Address, "a"), (b1.Address, "b"), (lab.Node2Address(7), "a")), ct);

        Assert.False(await OverlayLab.PingAsync(neighbour, a1.Address));
        Assert.False(await BridgeLab.ConnectsAsync(neighbour, a1.Address, Port));
        Assert.False(await OverlayLab.PingAsync(neighbour, b1.Address));

        // The fabric's ways in are unchanged: over the mesh (A2, node 2 itself) and from node 1 itself (its own output).
        await Eventually.HoldsAsync(() => OverlayLab.PingAsync(a2, a1.Address), ok => ok, TimeSpan.FromSeconds(20), "A2 pinging A1 over the tunnel");
        Assert.True(await BridgeLab.ConnectsAsync(a2, a1.Address, Port));
        Assert.True(await OverlayLab.PingAsync(lab.Node2, a1.Address, source: lab.Node2Gateway));
        Assert.True(await BridgeLab.ConnectsAsync(lab.Node2, a1.Address, Port)); // node 2's edge proxy, TCP routes (from its overlay address)
        Assert.True(await PingFromHereAsync(a1.Address));

        // A port node 1 publishes for A1 is public by intent: the neighbour reaches it at node 1's underlay address.
        var node = new NodeIdentity("xnodeund-" + Guid.NewGuid().ToString("N")[..6]);
        var forwards = new PortForwards(node);
        var egress = new EgressNat(node);
        try
        {
            var hostPort = FreePorts.Next();
            await forwards.OpenAsync("vm-a1", a1.Address, [new PortPublish(hostPort, Port)], checkHost: true, ct);
            Assert.True(await BridgeLab.ConnectsAsync(neighbour, lab.NeighbourGateway, hostPort));

            // A guest's egress to the neighbour, masqueraded as node 1 (the neighbour forgets its route, as the world has
            // none): the replies come back in through the guard.
            await egress.EnsureAsync(Formation.Networking.Ipv4Subnet.Parse(lab.Node1.Subnet), lab.Node1.Bridge, lab.Mesh1, ct);
            await VethGuest.RunAsync("ip", "netns", "exec", neighbour, "ip", "route", "del", lab.Node1.Subnet);
            await lab.Node1.ServeAsync(neighbour, Port);
            Assert.True(await OverlayLab.PingAsync(a1.Namespace, lab.NeighbourAddress));
            Assert.True(await BridgeLab.ConnectsAsync(b1.Namespace, lab.NeighbourAddress, Port));
            Assert.False(await OverlayLab.PingAsync(neighbour, a1.Address)); // and still nothing the other way
        }
        finally
        {
            await HostNft.DeleteAsync("ip", forwards.Table, CancellationToken.None);
            await HostNft.DeleteAsync("ip", egress.Table, CancellationToken.None);
        }
    }

    [Fact]
    public async Task NodeWithoutAMesh_GuardsItsBridgeFromTheUnderlay_AMeshLaterAddsItsOwnWayIn()
    {
        Prerequisites.RequireRoot("a bridge, veth pairs, network namespaces, WireGuard interfaces and nftables");
        var ct = TestContext.Current.CancellationToken;
        await using var lab = await OverlayLab.CreateAsync();
        var a1 = await lab.Node1.AddGuestAsync(5, "a");
        await lab.Node1.GuardAsync(a1);
        await lab.Node1.ServeAsync(a1, Port);
        var a2 = await lab.AddNode2GuestAsync(7);
        var neighbour = await lab.AddNeighbourAsync();
        await Eventually.HoldsAsync(() => OverlayLab.PingAsync(a2, a1.Address), ok => ok, TimeSpan.FromSeconds(20), "A2 pinging A1 over the tunnel");
        Assert.True(await BridgeLab.ConnectsAsync(neighbour, a1.Address, Port));

        // The bridge made, no mesh yet (or none at all): everything but the bridge itself is the underlay.
        await lab.Guard.EnsureBridgeAsync(lab.Node1.Bridge, ct);
        Assert.False(await OverlayLab.PingAsync(neighbour, a1.Address));
        Assert.False(await BridgeLab.ConnectsAsync(neighbour, a1.Address, Port));
        Assert.False(await OverlayLab.PingAsync(a2, a1.Address));
        Assert.True(await PingFromHereAsync(a1.Address));
        var loads = lab.Guard.Loads;
        await lab.Guard.SetOwnersAsync(Owners((a1.Address, "a")), ct);
        Assert.Equal(loads, lab.Guard.Loads); // without a mesh, owners change nothing in the table

        // The mesh comes up: its own way in opens, the underlay's stays shut, and the bridge made again takes nothing back.
        await lab.Guard.EnsureAsync(lab.Mesh1, lab.Node1.Bridge, ct);
        await lab.Guard.SetOwnersAsync(Owners((a1.Address, "a"), (lab.Node2Address(7), "a")), ct);
        Assert.True(await OverlayLab.PingAsync(a2, a1.Address));
        await lab.Guard.EnsureBridgeAsync(lab.Node1.Bridge, ct);
        Assert.True(await BridgeLab.ConnectsAsync(a2, a1.Address, Port));
        Assert.False(await OverlayLab.PingAsync(neighbour, a1.Address));
    }

    private static async Task<bool> PingFromHereAsync(string address)
    {
        var result = await ProcessRunner.RunAsync("busybox", ["ping", "-c", "1", "-W", "2", address], null, 10, TimeSpan.FromSeconds(20), CancellationToken.None);
        return result.ExitCode == 0;
    }

    private static Dictionary<IPAddress, string> Owners(params (string Address, string Account)[] owners) =>
        owners.ToDictionary(o => IPAddress.Parse(o.Address), o => o.Account);
}
