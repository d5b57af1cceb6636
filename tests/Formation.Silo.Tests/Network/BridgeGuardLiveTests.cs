using Formation.Silo.Platform;
using Formation.Silo.Tests.Mesh;

namespace Formation.Silo.Tests.Network;

/// <summary>
/// The bridge guard on a real bridge and real nftables, with namespaces standing in for guests (<see cref="BridgeLab"/>).
/// Each attack is first performed without the guard and shown to work (so the test can fail), then with it: the
/// packet never reaches the node, the node's neighbour table keeps the victim's MAC, another account's guest cannot
/// connect; guests of one account, and the node, still reach each other.
/// </summary>
public sealed class BridgeGuardLiveTests
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan NonArrival = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Guest_SendingFromAnotherGuestsAddressOrMac_NeverReachesTheNode_AndCannotPoisonItsNeighbourTable()
    {
        Prerequisites.RequireRoot("a bridge, veth pairs, network namespaces and nftables");
        await using var lab = await BridgeLab.CreateAsync();
        using var node = new NodeListener(lab.Gateway);
        var bob = await lab.AddGuestAsync(2, "bob");
        var alice = await lab.AddGuestAsync(4, "alice");
        await alice.TakeIdentityAsync(alice.Mac, alice.Address);

        // Without the guard the attacks work: alice's datagram from bob's address reaches the node as bob's (DNS would
        // answer it as bob's account), and an ARP request from her claiming bob's address takes over the node's entry.
        Assert.True(await alice.SendUdpAsync(lab.Gateway, node.UdpPort, "open-own"));
        Assert.Equal(alice.Address, await node.SourceOfAsync("open-own", Arrival));
        await alice.TakeIdentityAsync(alice.Mac, bob.Address);
        Assert.True(await alice.SendUdpAsync(lab.Gateway, node.UdpPort, "open-as-bob"));
        Assert.Equal(bob.Address, await node.SourceOfAsync("open-as-bob", Arrival));
        await alice.TakeIdentityAsync(alice.Mac, alice.Address);
        await NodeLearnsAsync(lab, bob);
        await alice.TakeIdentityAsync(alice.Mac, bob.Address);
        await alice.TryAsync("busybox", "arping", "-c", "2", "-I", "eth0", "-s", bob.Address, lab.Gateway);
        Assert.Contains(alice.Mac, await NeighbourAsync(lab, bob.Address));
        await alice.TakeIdentityAsync(alice.Mac, alice.Address);

        await lab.GuardAsync(bob);
        await lab.GuardAsync(alice);
        await VethGuest.CaptureAsync("ip", "neigh", "flush", "dev", lab.Bridge);

        // Guarded: her own datagram still arrives; as bob (address, MAC or both) nothing does.
        Assert.True(await alice.SendUdpAsync(lab.Gateway, node.UdpPort, "guarded-own"));
        Assert.Equal(alice.Address, await node.SourceOfAsync("guarded-own", Arrival));
        await alice.TakeIdentityAsync(alice.Mac, bob.Address);
        await alice.SendUdpAsync(lab.Gateway, node.UdpPort, "guarded-as-bob");
        await alice.TakeIdentityAsync(bob.Mac, bob.Address);
        await alice.SendUdpAsync(lab.Gateway, node.UdpPort, "guarded-as-bob-mac-too");
        await alice.TakeIdentityAsync(bob.Mac, alice.Address);
        await alice.SendUdpAsync(lab.Gateway, node.UdpPort, "guarded-bobs-mac");
        await alice.TakeIdentityAsync("02:fb:00:00:00:ee", alice.Address);
        await alice.SendUdpAsync(lab.Gateway, node.UdpPort, "guarded-made-up-mac");
        Assert.Null(await node.SourceOfAsync("guarded-as-bob", NonArrival));
        Assert.Null(await node.SourceOfAsync("guarded-as-bob-mac-too", TimeSpan.Zero));
        Assert.Null(await node.SourceOfAsync("guarded-bobs-mac", TimeSpan.Zero));
        Assert.Null(await node.SourceOfAsync("guarded-made-up-mac", TimeSpan.Zero));

        // ARP claiming bob's address (arping sends only from an address its host holds): a request to the node and an
        // unsolicited announcement; the node keeps bob's MAC.
        await alice.TakeIdentityAsync(alice.Mac, bob.Address);
        await NodeLearnsAsync(lab, bob);
        await alice.TryAsync("busybox", "arping", "-c", "2", "-I", "eth0", "-s", bob.Address, lab.Gateway);
        await alice.TryAsync("busybox", "arping", "-U", "-c", "2", "-I", "eth0", "-s", bob.Address, bob.Address);
        var entry = await NeighbourAsync(lab, bob.Address);
        Assert.Contains(bob.Mac, entry);
        Assert.DoesNotContain(alice.Mac, entry);

        // Nothing was taken from bob, and alice as herself still gets through.
        await alice.TakeIdentityAsync(alice.Mac, alice.Address);
        Assert.True(await bob.SendUdpAsync(lab.Gateway, node.UdpPort, "bob-own"));
        Assert.Equal(bob.Address, await node.SourceOfAsync("bob-own", Arrival));
        Assert.True(await alice.SendUdpAsync(lab.Gateway, node.UdpPort, "alice-again"));
        Assert.Equal(alice.Address, await node.SourceOfAsync("alice-again", Arrival));
    }

    [Fact]
    public async Task AnotherAccountsGuest_CannotConnectToAGuestsPort_ItsOwnAccountAndTheNodeStillCan()
    {
        Prerequisites.RequireRoot("a bridge, veth pairs, network namespaces and nftables");
        await using var lab = await BridgeLab.CreateAsync();
        using var node = new NodeListener(lab.Gateway);
        var bob = await lab.AddGuestAsync(2, "bob");
        var bobsDb = await lab.AddGuestAsync(3, "bob");
        var alice = await lab.AddGuestAsync(4, "alice");
        await lab.ServeAsync(bobsDb, 7000);

        Assert.True(await BridgeLab.ConnectsAsync(alice, bobsDb.Address, 7000), "without the guard alice reaches bob's port (the attack works)");

        foreach (var guest in new[] { bob, bobsDb, alice })
        {
            await lab.GuardAsync(guest);
        }

        Assert.False(await BridgeLab.ConnectsAsync(alice, bobsDb.Address, 7000), "alice must not reach bob's guest");
        Assert.False(await alice.TryAsync("busybox", "ping", "-c", "1", "-W", "1", bobsDb.Address), "alice must not even ping bob's guest");
        Assert.True(await BridgeLab.ConnectsAsync(bob, bobsDb.Address, 7000), "bob's guests reach each other");
        Assert.True(await bob.TryAsync("busybox", "ping", "-c", "1", "-W", "2", bobsDb.Address));
        Assert.True(await BridgeLab.ConnectsAsync(alice, lab.Gateway, node.TcpPort), "alice reaches the node");
        Assert.True(await BridgeLab.ConnectsAsync(bob, lab.Gateway, node.TcpPort), "bob reaches the node");
        Assert.True(await VethGuest.CaptureAsync("busybox", "nc", "-w", "2", bobsDb.Address, "7000") is var fromNode && fromNode.Contains("reached"),
            "the node (edge proxy) reaches bob's guest");

        // Alice's guest moves into bob's account (a VM of bob's now holds that port): it reaches bob's guest.
        await lab.Guard.AdmitAsync(alice.Network, "bob", CancellationToken.None);
        Assert.True(await BridgeLab.ConnectsAsync(alice, bobsDb.Address, 7000), "same account after the change");
    }

    [Fact]
    public async Task APortWithoutEntry_SendsNothing_AndARemovedVmLeavesNoRuleBehind()
    {
        Prerequisites.RequireRoot("a bridge, veth pairs, network namespaces and nftables");
        await using var lab = await BridgeLab.CreateAsync();
        var bob = await lab.AddGuestAsync(2, "bob");
        var gone = await lab.AddGuestAsync(3, "carol");
        var unknown = await lab.AddGuestAsync(5, "dave");
        await lab.GuardAsync(bob);
        await lab.GuardAsync(gone);
        Assert.True(await gone.TryAsync("busybox", "ping", "-c", "1", "-W", "2", lab.Gateway));
        var before = await ProcessRunner.CaptureAsync("nft", ["list", "table", "bridge", lab.Guard.Table], CancellationToken.None);
        Assert.Contains(gone.Port, before);
        Assert.Contains(gone.Mac, before);

        // A port in the node's group that was never given an entry (a race at boot, a missed rule): nothing leaves it.
        await VethGuest.RunAsync("ip", "link", "set", "dev", unknown.Port, "group", lab.Guard.LinkGroup.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.False(await unknown.TryAsync("busybox", "ping", "-c", "1", "-W", "1", lab.Gateway), "a port without an entry must send nothing");

        // The VM goes: its entry goes, nothing of it stays in the ruleset, and its port (were it still there) sends nothing.
        await lab.Guard.RemoveAsync(gone.Port, CancellationToken.None);
        var ruleset = await ProcessRunner.CaptureAsync("nft", ["list", "ruleset"], CancellationToken.None);
        Assert.DoesNotContain(gone.Port, ruleset);
        Assert.DoesNotContain(gone.Mac, ruleset);
        var table = await ProcessRunner.CaptureAsync("nft", ["list", "table", "bridge", lab.Guard.Table], CancellationToken.None);
        Assert.DoesNotMatch(System.Text.RegularExpressions.Regex.Escape(gone.Address) + @"\b", table);
        Assert.Contains(bob.Address, table);
        Assert.Contains(bob.Port, ruleset);
        Assert.False(await gone.TryAsync("busybox", "ping", "-c", "1", "-W", "1", lab.Gateway), "a removed VM's port must send nothing");
        Assert.True(await bob.TryAsync("busybox", "ping", "-c", "1", "-W", "2", lab.Gateway), "the others keep working");
        Assert.Equal(new[] { bob.Port }, lab.Guard.Taps);
    }

    [Fact]
    public async Task Clone_SendsNothingAsItsSource_UntilItTakesItsOwnIdentity()
    {
        Prerequisites.RequireRoot("a bridge, veth pairs, network namespaces and nftables");
        await using var lab = await BridgeLab.CreateAsync();
        using var node = new NodeListener(lab.Gateway);
        var source = await lab.AddGuestAsync(2, "bob");
        var clone = await lab.AddGuestAsync(6, "bob");
        await lab.GuardAsync(source);
        await lab.GuardAsync(clone); // the clone's entry: its own MAC and address, as AttachAsync gives them

        // Restored from the snapshot, the clone's guest still holds its source's MAC and address.
        await clone.TakeIdentityAsync(source.Mac, source.Address);
        await clone.SendUdpAsync(lab.Gateway, node.UdpPort, "clone-as-source");
        Assert.Null(await node.SourceOfAsync("clone-as-source", NonArrival));

        await clone.TakeIdentityAsync(clone.Mac, clone.Address);
        Assert.True(await clone.SendUdpAsync(lab.Gateway, node.UdpPort, "clone-as-itself"));
        Assert.Equal(clone.Address, await node.SourceOfAsync("clone-as-itself", Arrival));
    }

    /// <summary>The node pings the guest, so its neighbour table holds the guest's MAC.</summary>
    private static async Task NodeLearnsAsync(BridgeLab lab, LabGuest guest)
    {
        await VethGuest.CaptureAsync("ip", "neigh", "del", guest.Address, "dev", lab.Bridge);
        await VethGuest.RunAsync("busybox", "ping", "-c", "1", "-W", "2", guest.Address);
        Assert.Contains(guest.Mac, await NeighbourAsync(lab, guest.Address));
    }

    private static Task<string> NeighbourAsync(BridgeLab lab, string address) =>
        VethGuest.CaptureAsync("ip", "neigh", "show", address, "dev", lab.Bridge);
}
