using System.Net;
using Formation.Silo.Dns;
using Formation.Silo.Tests.Mesh;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Dns;

/// <summary>
/// The public (split-horizon) listener on real sockets, asked with dig: the server the <see cref="PublicDnsAgent"/>
/// runs (its own table of <see cref="PublicRecords"/>, no source a guest) with a forwarder that would answer, to show it
/// is never used. A namespace in the overlay range stands in for a guest asking it.
/// </summary>
public sealed class PublicListenerTests
{
    [Fact]
    public async Task ServiceName_AnswersNodeAddresses_OtherNamesAreNotAnswered_NothingIsForwarded_NoInsideAddressLeaks()
    {
        Prerequisites.RequireRoot("a network namespace with a veth pair");
        using var upstream = new LiveZone(o => o.Zone = "upstream.test");
        upstream.SetVm("www", "192.0.2.10");
        await using var guest = await VethGuest.CreateAsync($"10.77.{Random.Shared.Next(200, 250)}");

        var options = new DnsOptions { PublicListen = "127.0.0.1", PublicZone = "example.test" };
        var port = FreePorts.Next();
        var table = new DnsTable();
        table.Replace(PublicDnsAgent.Source, PublicRecordsTests.Sample());
        using var forwarder = new DnsForwarder([new IPEndPoint(IPAddress.Loopback, upstream.Port)], options.ForwardTimeout, options.MaxForwards);
        using var server = new ZoneServer(options, [new IPEndPoint(IPAddress.Loopback, port), new IPEndPoint(IPAddress.Parse(guest.HostAddress), port)],
            table, GuestSources.Nobody(), new ZoneAnswerer("example.test", options.Ttl, "ns"), forwarder,
            new SourceRateLimiter(options.RateLimit, options.RateBurst, options.RateLimitSources, TimeProvider.System), NullLogger.Instance);
        server.Start();

        var web = await Dig.QueryAsync("127.0.0.1", port, "WEB.example.test");
        var web6 = await Dig.QueryAsync("127.0.0.1", port, "web.example.test", "AAAA", null, "+tcp");
        var replica = await Dig.QueryAsync("127.0.0.1", port, "web-1.example.test");
        var unrouted = await Dig.QueryAsync("127.0.0.1", port, "hidden.example.test");
        var srv = await Dig.QueryAsync("127.0.0.1", port, "_http._tcp.web.example.test", "SRV");
        var node = await Dig.QueryAsync("127.0.0.1", port, "n1.node.example.test");
        var fog = await Dig.QueryAsync("127.0.0.1", port, "web.fog");
        var vmFog = await Dig.QueryAsync("127.0.0.1", port, "web-1.fog");
        var outside = await Dig.QueryAsync("127.0.0.1", port, "www.upstream.test");
        var fromGuest = await Dig.QueryAsync(guest.HostAddress, port, "www.upstream.test", netns: guest.Namespace);
        var fogFromGuest = await Dig.QueryAsync(guest.HostAddress, port, "web.fog", netns: guest.Namespace);

        Assert.Equal(["WEB.example.test. 5 IN A 192.0.2.7"], web.Answers); // the name as asked
        Assert.Contains("aa", web.Flags.Split(' '));
        Assert.DoesNotContain("ra", web.Flags.Split(' '));
        Assert.Equal(["web.example.test. 5 IN AAAA 2001:db8::8"], web6.Answers);
        Assert.All(new[] { replica, unrouted, node }, d => Assert.Equal("NXDOMAIN", d.Status));
        Assert.Empty(srv.Answers);
        Assert.All(new[] { fog, vmFog, outside, fromGuest, fogFromGuest }, d =>
        {
            Assert.Equal("REFUSED", d.Status);
            Assert.Empty(d.Answers);
            Assert.DoesNotContain("ra", d.Flags.Split(' '));
        });
        foreach (var dig in new[] { web, web6, replica, unrouted, srv, node, fog, vmFog, outside, fromGuest, fogFromGuest })
        {
            Assert.DoesNotContain("10.77.", string.Join('\n', dig.Answers.Concat(dig.Authority)));
            Assert.DoesNotContain("192.0.2.10", dig.Output); // the upstream's answer never comes back
        }
    }
}
