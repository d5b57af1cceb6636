using System.Net;
using Formation.Silo.Dns;
using Formation.Silo.Tests.Mesh;

namespace Formation.Silo.Tests.Dns;

/// <summary>
/// Guests of two accounts on real sockets: two network namespaces behind veth pairs in the overlay range stand in for
/// bob's and alice's guests and ask with dig. The same question gets each its own account's address, also when the
/// other's answer is in the cache; asking for the other account's name is NXDOMAIN, exactly like a missing name, and
/// changes nothing; a guest-range address that no VM holds sees no account's names.
/// </summary>
public sealed class AccountGuestDnsTests
{
    [Fact]
    public async Task TwoAccountsGuests_AskTheSameName_EachGetsItsOwn_AndTheOthersNameIsNxDomain()
    {
        Prerequisites.RequireRoot("network namespaces with veth pairs");
        var third = Random.Shared.Next(150, 197); // apart from the other namespace tests' 200-249, which may run alongside
        await using var bobGuest = await VethGuest.CreateAsync($"10.77.{third}");
        await using var aliceGuest = await VethGuest.CreateAsync($"10.77.{third + 1}");
        await using var stranger = await VethGuest.CreateAsync($"10.77.{third + 2}");
        using var zone = new LiveZone(addresses: [IPAddress.Loopback, IPAddress.Parse(bobGuest.HostAddress), IPAddress.Parse(aliceGuest.HostAddress),
            IPAddress.Parse(stranger.HostAddress)]);
        zone.Guests.SetOwners(new Dictionary<IPAddress, string>
        {
            [IPAddress.Parse(bobGuest.GuestAddress)] = "bob",
            [IPAddress.Parse(aliceGuest.GuestAddress)] = "alice",
        });
        zone.SetVm("web", "10.77.3.2");
        zone.SetVm("web.bob", "10.77.3.3");
        zone.SetVm("web.alice", "10.77.3.4");
        Task<Dig> Ask(VethGuest guest, string name) => Dig.QueryAsync(guest.HostAddress, zone.Port, name, netns: guest.Namespace);

        // bob first: his answer is cached under his account; alice's identical question must not get it.
        var bob = await Ask(bobGuest, "web.fog");
        var bobAgain = await Ask(bobGuest, "web.fog");
        var alice = await Ask(aliceGuest, "web.fog");
        var aliceAgain = await Ask(aliceGuest, "web.fog");
        var host = await Dig.QueryAsync("127.0.0.1", zone.Port, "web.fog");

        Assert.Equal(["web.fog. 5 IN A 10.77.3.3"], bob.Answers);
        Assert.Equal(["web.fog. 5 IN A 10.77.3.3"], bobAgain.Answers);
        Assert.Equal(["web.fog. 5 IN A 10.77.3.4"], alice.Answers);
        Assert.Equal(["web.fog. 5 IN A 10.77.3.4"], aliceAgain.Answers);
        Assert.Equal(["web.fog. 5 IN A 10.77.3.2"], host.Answers); // the host sees the admin account's web
        Assert.Equal(["web.fog. 5 IN A 10.77.3.4"], (await Dig.QueryAsync(aliceGuest.HostAddress, zone.Port, "web.fog", "A", aliceGuest.Namespace, "+tcp")).Answers);
        Assert.Equal("NXDOMAIN", (await Dig.QueryAsync(aliceGuest.HostAddress, zone.Port, "web.bob.fog", "A", aliceGuest.Namespace, "+tcp")).Status);
        Assert.True(zone.Server.CachedAnswers >= 3, $"{zone.Server.CachedAnswers} answers cached");

        // The attack: each asks for the other's name, by its account label and by the other's SRV-style name.
        var bobAsksAlices = await Ask(bobGuest, "web.alice.fog");
        var aliceAsksBobs = await Ask(aliceGuest, "web.bob.fog");
        var missing = await Ask(bobGuest, "nothere.fog");
        Assert.Equal("NXDOMAIN", bobAsksAlices.Status);
        Assert.Empty(bobAsksAlices.Answers);
        Assert.Equal("NXDOMAIN", aliceAsksBobs.Status);
        Assert.Equal(missing.Authority.Count, aliceAsksBobs.Authority.Count); // the same negative answer as a missing name
        Assert.Equal(["web.bob.fog. 5 IN A 10.77.3.3"], (await Ask(bobGuest, "web.bob.fog")).Answers); // nothing changed
        Assert.Equal(["web.alice.fog. 5 IN A 10.77.3.4"], (await Dig.QueryAsync("127.0.0.1", zone.Port, "web.alice.fog")).Answers);

        // An address in the guest range that no VM holds sees no account's names.
        Assert.Equal("NXDOMAIN", (await Ask(stranger, "web.fog")).Status);
        Assert.Equal("NXDOMAIN", (await Ask(stranger, "web.bob.fog")).Status);

        // bob's address passes to alice (his VM deleted, hers given the address): its questions are alice's from then on.
        zone.Guests.SetOwners(new Dictionary<IPAddress, string> { [IPAddress.Parse(bobGuest.GuestAddress)] = "alice" });
        Assert.Equal(["web.fog. 5 IN A 10.77.3.4"], (await Ask(bobGuest, "web.fog")).Answers);
        Assert.Equal("NXDOMAIN", (await Ask(bobGuest, "web.bob.fog")).Status);
    }
}
