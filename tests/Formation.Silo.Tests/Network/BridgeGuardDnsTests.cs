using System.Net;
using Formation.Silo.Tests.Dns;
using Formation.Silo.Tests.Mesh;

namespace Formation.Silo.Tests.Network;

/// <summary>
/// The account view of DNS (a guest sees its own account's names, known by its source address) against a guest that
/// takes another account's address on the bridge: the real zone server listens on the bridge's gateway, two stand-in
/// guests ask with dig. Without the guard, alice takes bob's address, claims it by ARP and gets bob's answer; with it
/// she gets no answer at all, and both still get their own as themselves.
/// </summary>
public sealed class BridgeGuardDnsTests
{
    [Fact]
    public async Task GuestTakingAnotherAccountsAddress_GetsThatAccountsAnswerOnlyWithoutTheGuard()
    {
        Prerequisites.RequireRoot("a bridge, veth pairs, network namespaces and nftables");
        await using var lab = await BridgeLab.CreateAsync();
        var bob = await lab.AddGuestAsync(2, "bob");
        var alice = await lab.AddGuestAsync(4, "alice");
        using var zone = new LiveZone(addresses: [IPAddress.Parse(lab.Gateway)]);
        zone.Guests.SetSubnets([Formation.Networking.Ipv4Subnet.Parse(lab.Subnet)]);
        zone.Guests.SetOwners(new Dictionary<IPAddress, string> { [IPAddress.Parse(bob.Address)] = "bob", [IPAddress.Parse(alice.Address)] = "alice" });
        zone.SetVm("web.bob", "10.77.3.3");
        zone.SetVm("web.alice", "10.77.3.4");
        Task<Dig> Ask(LabGuest guest) => Dig.QueryAsync(lab.Gateway, zone.Port, "web.fog", netns: guest.Namespace);
        const string Bobs = "web.fog. 5 IN A 10.77.3.3";
        const string Alices = "web.fog. 5 IN A 10.77.3.4";

        await alice.TakeIdentityAsync(alice.Mac, alice.Address);
        Assert.Equal([Alices], (await Ask(alice)).Answers);
        await alice.TakeIdentityAsync(alice.Mac, bob.Address);
        await alice.TryAsync("busybox", "arping", "-c", "2", "-I", "eth0", "-s", bob.Address, lab.Gateway);
        Assert.Equal([Bobs], (await Ask(alice)).Answers); // fooled: the attack works on an open bridge

        await alice.TakeIdentityAsync(alice.Mac, alice.Address);
        await VethGuest.CaptureAsync("ip", "neigh", "del", bob.Address, "dev", lab.Bridge);
        await lab.GuardAsync(bob);
        await lab.GuardAsync(alice);
        Assert.Equal([Alices], (await Ask(alice)).Answers);
        Assert.Equal([Bobs], (await Ask(bob)).Answers);

        await alice.TakeIdentityAsync(alice.Mac, bob.Address);
        await alice.TryAsync("busybox", "arping", "-c", "2", "-I", "eth0", "-s", bob.Address, lab.Gateway);
        var spoofed = await Ask(alice);
        Assert.Empty(spoofed.Answers);
        Assert.Equal("(no answer)", spoofed.Status);
        Assert.Equal([Bobs], (await Ask(bob)).Answers); // bob's own questions still get bob's answers
    }
}
