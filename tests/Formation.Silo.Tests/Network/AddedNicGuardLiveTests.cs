using Formation.Silo.Tests.Mesh;

namespace Formation.Silo.Tests.Network;

/// <summary>
/// An added network interface (<c>form vm nic add</c>) is one more port of the bridge guard, with its own MAC and address:
/// the VM's two ports are of one account, and still the added one cannot send as the first (nor the first as the added
/// one). Performed without the guard first (it works), then with it (nothing arrives). Namespaces stand in for the guest's
/// two interfaces (<see cref="BridgeLab"/>); the real TAPs and the QEMU hotplug are HotplugCliTests'.
/// </summary>
public sealed class AddedNicGuardLiveTests
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan NonArrival = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task AddedInterface_SendingAsTheVmsFirstInterface_NeverReachesTheNode_ItsOwnAddressDoes()
    {
        Prerequisites.RequireRoot("a bridge, veth pairs, network namespaces and nftables");
        await using var lab = await BridgeLab.CreateAsync();
        using var node = new NodeListener(lab.Gateway);
        var first = await lab.AddGuestAsync(2, "carol");
        var added = await lab.AddGuestAsync(3, "carol");

        // Without the guard: the added interface passes for the first one.
        await added.TakeIdentityAsync(added.Mac, first.Address);
        Assert.True(await added.SendUdpAsync(lab.Gateway, node.UdpPort, "open-as-first"));
        Assert.Equal(first.Address, await node.SourceOfAsync("open-as-first", Arrival));

        await lab.GuardAsync(first);
        await lab.GuardAsync(added);

        // Guarded: as the first interface (its address, or its MAC and address) nothing arrives; as itself it does.
        await added.SendUdpAsync(lab.Gateway, node.UdpPort, "guarded-as-first");
        await added.TakeIdentityAsync(first.Mac, first.Address);
        await added.SendUdpAsync(lab.Gateway, node.UdpPort, "guarded-as-first-mac-too");
        await first.TakeIdentityAsync(first.Mac, added.Address);
        await first.SendUdpAsync(lab.Gateway, node.UdpPort, "guarded-first-as-added");
        Assert.Null(await node.SourceOfAsync("guarded-as-first", NonArrival));
        Assert.Null(await node.SourceOfAsync("guarded-as-first-mac-too", TimeSpan.Zero));
        Assert.Null(await node.SourceOfAsync("guarded-first-as-added", TimeSpan.Zero));

        await added.TakeIdentityAsync(added.Mac, added.Address);
        await first.TakeIdentityAsync(first.Mac, first.Address);
        Assert.True(await added.SendUdpAsync(lab.Gateway, node.UdpPort, "added-own"));
        Assert.Equal(added.Address, await node.SourceOfAsync("added-own", Arrival));
        Assert.True(await first.SendUdpAsync(lab.Gateway, node.UdpPort, "first-own"));
        Assert.Equal(first.Address, await node.SourceOfAsync("first-own", Arrival));
    }
}
