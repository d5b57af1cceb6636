using ARSoft.Tools.Net.Dns;

namespace Formation.Silo.Dns;

/// <summary>What to do with a query: send <see cref="Response"/>, or forward it (a guest's name outside the zone).</summary>
public readonly record struct ZoneAnswer(DnsMessage? Response, bool Forward)
{
    public static ZoneAnswer Send(DnsMessage response) => new(response, false);

    public static readonly ZoneAnswer ToForwarder = new(null, true);
}
