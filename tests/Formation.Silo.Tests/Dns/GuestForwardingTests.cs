using System.Net;
using Formation.Silo.Dns;
using Formation.Silo.Tests.Mesh;

namespace Formation.Silo.Tests.Dns;

/// <summary>
/// Names outside the zone from a guest source: a network namespace behind a veth pair in the overlay range stands in
/// for the guest and asks with dig; the forwarder's resolver is a second server on loopback (so the test does not
/// depend on the machine's outside DNS). The same question from the host's loopback is refused.
/// </summary>
public sealed class GuestForwardingTests
{
    [Fact]
    public async Task GuestAsksForAnOutsideName_IsForwarded_HostLoopbackIsRefused()
    {
        Prerequisites.RequireRoot("a network namespace with a veth pair");
        using var upstream = new LiveZone(o => o.Zone = "upstream.test");
        upstream.SetVm("www", "192.0.2.10");

        await using var guest = await VethGuest.CreateAsync($"10.77.{Random.Shared.Next(200, 250)}");
        using var zone = new LiveZone(addresses: [IPAddress.Loopback, IPAddress.Parse(guest.HostAddress)],
            forwarders: [new IPEndPoint(IPAddress.Loopback, upstream.Port)]);
        zone.SetVm("web", "10.77.3.7");
        zone.Guests.SetOwners(new Dictionary<IPAddress, string> { [IPAddress.Parse(guest.GuestAddress)] = "admin" }); // a guest of the admin account

        var forwarded = await Dig.QueryAsync(guest.HostAddress, zone.Port, "www.upstream.test", netns: guest.Namespace);
        var own = await Dig.QueryAsync(guest.HostAddress, zone.Port, "web.fog", netns: guest.Namespace);
        var missing = await Dig.QueryAsync(guest.HostAddress, zone.Port, "nope.upstream.test", netns: guest.Namespace);
        var fromHost = await Dig.QueryAsync("127.0.0.1", zone.Port, "www.upstream.test");

        Assert.Equal("NOERROR", forwarded.Status);
        Assert.Equal(["www.upstream.test. 5 IN A 192.0.2.10"], forwarded.Answers);
        Assert.Contains("ra", forwarded.Flags.Split(' '));
        Assert.DoesNotContain("aa", forwarded.Flags.Split(' ')); // it is the upstream's answer, not ours
        Assert.Equal(["web.fog. 5 IN A 10.77.3.7"], own.Answers);
        Assert.Equal("NXDOMAIN", missing.Status);
        Assert.Equal("REFUSED", fromHost.Status);
    }

    [Fact]
    public async Task NoResolverAnswers_GuestGetsServFail_InTime()
    {
        Prerequisites.RequireRoot("a network namespace with a veth pair");
        await using var guest = await VethGuest.CreateAsync($"10.77.{Random.Shared.Next(200, 250)}");
        var silent = FreePorts.Next(); // nothing listens there
        using var zone = new LiveZone(o => o.ForwardTimeout = TimeSpan.FromMilliseconds(500), addresses: [IPAddress.Parse(guest.HostAddress)],
            forwarders: [new IPEndPoint(IPAddress.Loopback, silent)]);

        var dig = await Dig.QueryAsync(guest.HostAddress, zone.Port, "example.com", netns: guest.Namespace);

        Assert.Equal("SERVFAIL", dig.Status);
    }
}
