using System.Net;
using Formation.Networking;
using Formation.Silo.Dns;

namespace Formation.Silo.Tests.Dns;

/// <summary>Who asks from an address: outside, a node or this host, a VM's account, or a guest-range address nobody holds.</summary>
public sealed class GuestSourcesTests
{
    private static IPAddress Ip(string text) => IPAddress.Parse(text);

    [Fact]
    public void Asker_FollowsTheOwnerOfEachAddress()
    {
        var guests = new GuestSources();
        guests.SetSubnets([Ipv4Subnet.Parse("192.168.50.0/24")]);
        guests.SetOwners(new Dictionary<IPAddress, string> { [Ip("10.77.1.3")] = "bob", [Ip("10.77.1.4")] = "alice", [Ip("10.77.1.2")] = "admin" });
        guests.SetNodes([Ip("10.77.1.1")]);
        guests.SetLocal([Ip("10.77.0.1"), Ip("127.0.0.1")]);

        Assert.Equal(DnsAsker.Outside, guests.Asker(Ip("127.0.0.1")));
        Assert.Equal(DnsAsker.Outside, guests.Asker(Ip("192.0.2.7")));
        Assert.Equal(DnsAsker.Outside, guests.Asker(Ip("fd00::1")));
        Assert.Equal(new DnsAsker(true, "bob"), guests.Asker(Ip("10.77.1.3")));
        Assert.Equal(new DnsAsker(true, "bob"), guests.Asker(Ip("10.77.1.3").MapToIPv6()));
        Assert.Equal(new DnsAsker(true, "alice"), guests.Asker(Ip("10.77.1.4")));
        Assert.Equal(DnsAsker.Fabric, guests.Asker(Ip("10.77.1.2"))); // admin's guest
        Assert.Equal(DnsAsker.Fabric, guests.Asker(Ip("10.77.1.1"))); // a node
        Assert.Equal(DnsAsker.Fabric, guests.Asker(Ip("10.77.0.1"))); // this host on its bridge
        Assert.Equal(DnsAsker.Stranger, guests.Asker(Ip("10.77.1.99"))); // nobody's: a guest that took a free address
        Assert.Equal(DnsAsker.Stranger, guests.Asker(Ip("192.168.50.9")));

        // bob's VM deleted, its address given to alice's: from then on it is alice's.
        guests.SetOwners(new Dictionary<IPAddress, string> { [Ip("10.77.1.3")] = "alice" });
        Assert.Equal(new DnsAsker(true, "alice"), guests.Asker(Ip("10.77.1.3")));
        Assert.Equal(DnsAsker.Stranger, guests.Asker(Ip("10.77.1.4")));
    }

    [Fact]
    public void Nobody_MakesEverySourceOutside_WhatEverItsOwner()
    {
        var guests = GuestSources.Nobody();
        guests.SetSubnets([Ipv4Subnet.Parse("10.77.0.0/16")]);
        guests.SetOwners(new Dictionary<IPAddress, string> { [Ip("10.77.1.3")] = "bob" });

        Assert.Equal(DnsAsker.Outside, guests.Asker(Ip("10.77.1.3")));
    }

    [Fact]
    public void CacheKeys_DifferForEveryKindOfAsker_AndEveryAccount()
    {
        var query = DnsWire.Query(1, "web.fog");
        var again = DnsWire.Query(2, "web.fog");
        DnsAsker[] askers = [DnsAsker.Outside, DnsAsker.Fabric, DnsAsker.Stranger, DnsAsker.GuestOf("bob"), DnsAsker.GuestOf("alice"), DnsAsker.GuestOf("bo")];

        var keys = askers.Select(a => Convert.ToHexString(AnswerCache.Key(query, a))).ToList();

        Assert.Equal(askers.Length, keys.Distinct().Count());
        Assert.Equal(keys[3], Convert.ToHexString(AnswerCache.Key(again, DnsAsker.GuestOf("bob")))); // the id is not part of it
        Assert.Equal(AnswerCache.KeyLength(query.Length, DnsAsker.GuestOf("alice")), AnswerCache.Key(query, DnsAsker.GuestOf("alice")).Length);
    }
}
