using System.Diagnostics;
using System.Diagnostics.Metrics;
using Formation.Grains.Metrics;

namespace Formation.Silo.Dns;

/// <summary>
/// form-dns's instruments on the fabric meter: queries answered, by server (<c>fabric</c> for the zone guests and nodes
/// use, <c>public</c> for the fog listener), transport, where the answer came from (<c>cache</c>, <c>zone</c>,
/// <c>forward</c>) and response code; and how long answering took. A cached answer is timed from its datagram's
/// arrival; the others from the parsed query to the answer (a forward waits for the upstream resolver).
/// </summary>
public sealed class DnsMetrics
{
    private readonly Counter<long> _queries;
    private readonly Histogram<double> _duration;

    public DnsMetrics(IMeterFactory meters)
    {
        var meter = FabricMeter.Create(meters);
        _queries = meter.CreateCounter<long>("formation.dns.queries", "{query}", "DNS queries answered, by server, transport, answer source and response code");
        _duration = FabricMeter.Seconds(meter, "formation.dns.query.duration", "Time taken to answer a DNS query", FabricMeter.FastSeconds);
    }

    /// <summary>Records one answered query (<paramref name="started"/>: a <see cref="Stopwatch"/> timestamp).</summary>
    public void Answered(string server, string transport, string source, int responseCode, long started)
    {
        var where = new TagList { { "formation.dns.server", server }, { "network.transport", transport }, { "formation.dns.answer", source } };
        _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, where);
        where.Add("dns.response_code", ResponseCode(responseCode));
        _queries.Add(1, where);
    }

    /// <summary>The response code's mnemonic (RFC 1035, 6895) in lower case, or <c>rcode_N</c> for a rare one.</summary>
    public static string ResponseCode(int code) => code switch
    {
        0 => "noerror",
        1 => "formerr",
        2 => "servfail",
        3 => "nxdomain",
        4 => "notimp",
        5 => "refused",
        _ => $"rcode_{code}",
    };
}
