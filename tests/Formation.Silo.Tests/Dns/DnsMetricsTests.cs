using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Formation.Silo.Dns;

namespace Formation.Silo.Tests.Dns;

/// <summary>The DNS instruments, recorded by a real <see cref="ZoneServer"/> asked over real UDP and TCP sockets.</summary>
public sealed class DnsMetricsTests : IDisposable
{
    private readonly MeterRecorder _meters = new();
    private readonly LiveZone _zone;

    public DnsMetricsTests() => _zone = new LiveZone(metrics: new DnsMetrics(_meters));

    public void Dispose()
    {
        _zone.Dispose();
        _meters.Dispose();
    }

    [Fact]
    public async Task Queries_AreCountedByResponseCodeAndSource_TheRepeatFromTheCache()
    {
        _zone.SetVm("web", "10.77.3.7");

        Assert.Equal(ReturnCode.NoError, await AskAsync("web.fog", new UdpClientTransport(_zone.Port)));
        Assert.Equal(ReturnCode.NoError, await AskAsync("web.fog", new UdpClientTransport(_zone.Port)));
        Assert.Equal(ReturnCode.NxDomain, await AskAsync("nothere.fog", new TcpClientTransport(_zone.Port)));

        var queries = await Eventually.HoldsAsync(() => Task.FromResult(_meters.Of("formation.dns.queries")), q => q.Count == 3,
            TimeSpan.FromSeconds(10), "three recorded queries");
        Assert.Equal(
            ["udp zone noerror", "udp cache noerror", "tcp zone nxdomain"],
            queries.Select(q => $"{q.Tag("network.transport")} {q.Tag("formation.dns.answer")} {q.Tag("dns.response_code")}"));
        Assert.All(queries, q => Assert.Equal("fabric", q.Tag("formation.dns.server")));
        var durations = _meters.Of("formation.dns.query.duration");
        Assert.Equal(3, durations.Count);
        Assert.All(durations, d => Assert.InRange(d.Value, 0, 5));
        Assert.All(durations, d => Assert.Null(d.Tag("dns.response_code")));
    }

    [Theory]
    [InlineData(0, "noerror")]
    [InlineData(2, "servfail")]
    [InlineData(3, "nxdomain")]
    [InlineData(5, "refused")]
    [InlineData(9, "rcode_9")]
    public void ResponseCode_IsItsMnemonic(int code, string label) => Assert.Equal(label, DnsMetrics.ResponseCode(code));

    private static async Task<ReturnCode> AskAsync(string name, IClientTransport transport)
    {
        var client = new DnsClient([IPAddress.Loopback], [transport], disposeTransport: true, queryTimeout: 3000);
        var answer = await client.ResolveAsync(DomainName.Parse(name), RecordType.A);
        Assert.NotNull(answer);
        return answer.ReturnCode;
    }
}
