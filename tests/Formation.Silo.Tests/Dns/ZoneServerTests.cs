using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Formation.Silo.Dns;

namespace Formation.Silo.Tests.Dns;

/// <summary>
/// The server on real sockets of 127.0.0.1, asked by Debian's <c>dig</c> and by ARSoft's client: answers, negative
/// answers, refusal of names outside the zone, TCP, changes of the table, oversized queries.
/// </summary>
public sealed class ZoneServerTests : IDisposable
{
    private readonly LiveZone _zone = new();

    private IPEndPoint Endpoint => new(IPAddress.Loopback, _zone.Port);

    public void Dispose() => _zone.Dispose();

    [Fact]
    public async Task VmName_AskedWithDig_AnswersItsAddress_InAnyCase()
    {
        _zone.SetVm("web", "10.77.3.7");

        var dig = await Dig.QueryAsync("127.0.0.1", _zone.Port, "web.fog");
        var upper = await Dig.QueryAsync("127.0.0.1", _zone.Port, "WEB.Fog");

        Assert.Equal("NOERROR", dig.Status);
        Assert.Equal(["web.fog. 5 IN A 10.77.3.7"], dig.Answers);
        Assert.Contains("aa", dig.Flags.Split(' '));
        Assert.Equal("NOERROR", upper.Status);
        Assert.EndsWith("IN A 10.77.3.7", Assert.Single(upper.Answers));
    }

    [Fact]
    public async Task VmName_AskedWithArsoftsClientOverUdpAndTcp_AnswersItsAddress()
    {
        _zone.SetVm("web", "10.77.3.7");
        foreach (IClientTransport transport in new IClientTransport[] { new UdpClientTransport(_zone.Port), new TcpClientTransport(_zone.Port) })
        {
            var client = new DnsClient([IPAddress.Loopback], [transport], disposeTransport: true, queryTimeout: 3000);

            var answer = await client.ResolveAsync(DomainName.Parse("web.fog"), RecordType.A);

            Assert.NotNull(answer);
            Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
            Assert.Equal(IPAddress.Parse("10.77.3.7"), Assert.IsType<ARecord>(Assert.Single(answer.AnswerRecords)).Address);
        }
    }

    [Fact]
    public async Task UnknownName_IsNxDomain_AndKnownNameOfAnotherType_IsNoData_BothWithTheSoa()
    {
        _zone.SetVm("web", "10.77.3.7");

        var unknown = await Dig.QueryAsync("127.0.0.1", _zone.Port, "nothere.fog");
        var aaaa = await Dig.QueryAsync("127.0.0.1", _zone.Port, "web.fog", "AAAA");

        Assert.Equal("NXDOMAIN", unknown.Status);
        Assert.Empty(unknown.Answers);
        Assert.Contains(" IN SOA ", Assert.Single(unknown.Authority));
        Assert.Equal("NOERROR", aaaa.Status);
        Assert.Empty(aaaa.Answers);
        Assert.Contains(" IN SOA ", Assert.Single(aaaa.Authority));
    }

    [Fact]
    public async Task NameOutsideTheZone_FromANonGuestSource_IsRefused()
    {
        var dig = await Dig.QueryAsync("127.0.0.1", _zone.Port, "example.com");
        var tcp = await Dig.QueryAsync("127.0.0.1", _zone.Port, "debian.org", "A", null, "+tcp");

        Assert.Equal("REFUSED", dig.Status);
        Assert.Empty(dig.Answers);
        Assert.DoesNotContain("ra", dig.Flags.Split(' '));
        Assert.Equal("REFUSED", tcp.Status);
    }

    [Fact]
    public async Task OverTcp_AnswersLikeUdp()
    {
        _zone.SetVm("db", "10.77.3.9");

        var dig = await Dig.QueryAsync("127.0.0.1", _zone.Port, "db.fog", "A", null, "+tcp");

        Assert.Equal(["db.fog. 5 IN A 10.77.3.9"], dig.Answers);
    }

    [Fact]
    public async Task TableChange_IsAnsweredAtOnce_NotAnEarlierCachedAnswer()
    {
        _zone.SetVm("web", "10.77.3.7");
        var query = DnsWire.Query(1, "web.fog");
        for (var i = 0; i < 3; i++)
        {
            Assert.NotNull(await DnsWire.ExchangeAsync(Endpoint, query, TimeSpan.FromSeconds(3))); // the second and third come from the cache
        }

        Assert.True(_zone.Server.CachedAnswers > 0, "repeated questions are answered from the cache");

        _zone.SetVm("web", "10.77.3.8");
        var dig = await Dig.QueryAsync("127.0.0.1", _zone.Port, "web.fog");
        var raw = await DnsWire.ExchangeAsync(Endpoint, query, TimeSpan.FromSeconds(3));
        Assert.Equal(["web.fog. 5 IN A 10.77.3.8"], dig.Answers);
        Assert.Equal([10, 77, 3, 8], raw![^4..]);

        _zone.Table.Set("test", "web", []);
        Assert.Equal(3, DnsWire.Rcode(await DnsWire.ExchangeAsync(Endpoint, query, TimeSpan.FromSeconds(3))));
    }

    [Fact]
    public async Task CachedAnswer_CarriesTheIdOfEachQuery()
    {
        _zone.SetVm("web", "10.77.3.7");
        foreach (ushort id in new ushort[] { 0x1111, 0xabcd, 0x0001 })
        {
            var answer = await DnsWire.ExchangeAsync(Endpoint, DnsWire.Query(id, "web.fog"), TimeSpan.FromSeconds(3));
            Assert.Equal(id, DnsWire.Id(answer));
            Assert.Equal(1, DnsWire.AnswerCount(answer));
        }
    }

    [Fact]
    public async Task OversizedQueryWithoutEdns_IsFormErr_NoLargerThanTheQuestion()
    {
        _zone.SetVm("web", "10.77.3.7");
        var query = DnsWire.Query(77, "web.fog").Concat(new byte[600]).ToArray();

        var answer = await DnsWire.ExchangeAsync(Endpoint, query, TimeSpan.FromSeconds(3));

        Assert.NotNull(answer);
        Assert.Equal(12, answer.Length);
        Assert.Equal(77, DnsWire.Id(answer));
        Assert.Equal(1, DnsWire.Rcode(answer)); // FORMERR
        Assert.NotNull(await DnsWire.ExchangeAsync(Endpoint, DnsWire.Query(78, "web.fog"), TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task EdnsQuery_AnswersWithAnOptRecord()
    {
        _zone.SetVm("web", "10.77.3.7");

        var dig = await Dig.QueryAsync("127.0.0.1", _zone.Port, "web.fog", "A", null, "+edns=0", "+bufsize=4096");

        Assert.Equal(["web.fog. 5 IN A 10.77.3.7"], dig.Answers);
        Assert.Contains("udp: 1232", dig.Output);
    }

    [Fact]
    public void SecondServerOnTheSamePort_FailsWithAddressInUse()
    {
        var options = new DnsOptions { Port = _zone.Port };
        var other = new ZoneServer(options, [IPAddress.Loopback], new DnsTable(), new GuestSources(), new ZoneAnswerer("fog", options.Ttl, "x.node"),
            new DnsForwarder([], options.ForwardTimeout, 1), new SourceRateLimiter(0, 1, 1, TimeProvider.System),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        var error = Assert.Throws<SocketException>(other.Start);
        Assert.Equal(SocketError.AddressAlreadyInUse, error.SocketErrorCode);
    }
}
