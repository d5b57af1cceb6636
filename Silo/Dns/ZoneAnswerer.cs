using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Formation.Silo.Dns;

/// <summary>
/// Answers one query from a snapshot of the zone, as a pure function (no sockets, no clock): authoritative answers
/// for names in the zone (NXDOMAIN for unknown names, NOERROR without answers for a known name of another type, the
/// SOA in the authority section of both), <see cref="ZoneAnswer.ToForwarder"/> for a guest's name outside it, REFUSED
/// for anyone else's (no open resolver). What a name in the zone means depends on the asker (<see cref="ZoneNames.ForAsker"/>):
/// a member's guest sees only its own account's names and the nodes'.
/// </summary>
public sealed class ZoneAnswerer
{
    /// <summary>The largest EDNS payload the server offers (the DNS flag day 2020 value: no IP fragmentation).</summary>
    public const ushort MaxUdpPayload = 1232;

    private readonly DomainName _zone;
    private readonly string[] _zoneLabels;
    private readonly int _ttl;
    private readonly DomainName _primary;
    private readonly DomainName _hostmaster;

    /// <param name="zone">The zone, e.g. <c>fog</c>.</param>
    /// <param name="ttl">TTL of answers, and of negative answers (the SOA's minimum).</param>
    /// <param name="selfName">This server's own name relative to the zone (<c>node-1.node</c>): the SOA's primary and the NS.</param>
    public ZoneAnswerer(string zone, TimeSpan ttl, string selfName)
    {
        _zoneLabels = zone.Trim('.').ToLowerInvariant().Split('.');
        _zone = new DomainName(_zoneLabels);
        _ttl = (int)Math.Max(1, ttl.TotalSeconds);
        _primary = DomainName.Parse(DnsTable.Normalize(selfName)) + _zone;
        _hostmaster = DomainName.Parse("hostmaster") + _zone;
    }

    public DomainName Zone => _zone;

    /// <summary>The answer for an asker outside the guest ranges, or (<paramref name="fromGuest"/>) one that sees every account's names.</summary>
    public ZoneAnswer Answer(DnsMessage query, bool fromGuest, ZoneSnapshot zone) =>
        Answer(query, fromGuest ? DnsAsker.Fabric : DnsAsker.Outside, zone);

    public ZoneAnswer Answer(DnsMessage query, DnsAsker asker, ZoneSnapshot zone)
    {
        var fromGuest = asker.Guest;
        var response = query.CreateResponseInstance();
        response.IsRecursionAllowed = fromGuest;
        if (response.IsEDnsEnabled)
        {
            response.EDnsOptions!.UdpPayloadSize = Math.Min(Math.Max(response.EDnsOptions.UdpPayloadSize, (ushort)512), MaxUdpPayload);
        }

        if (query.OperationCode != OperationCode.Query)
        {
            response.ReturnCode = ReturnCode.NotImplemented;
            return ZoneAnswer.Send(response);
        }

        if (query.Questions.Count != 1)
        {
            response.ReturnCode = ReturnCode.FormatError;
            return ZoneAnswer.Send(response);
        }

        var question = query.Questions[0];
        var relative = RelativeName(question.Name);
        if (relative is null)
        {
            if (fromGuest)
            {
                return ZoneAnswer.ToForwarder;
            }

            response.ReturnCode = ReturnCode.Refused;
            return ZoneAnswer.Send(response);
        }

        response.IsAuthoritiveAnswer = true;
        if (question.RecordClass is not (RecordClass.INet or RecordClass.Any))
        {
            response.ReturnCode = ReturnCode.Refused;
            return ZoneAnswer.Send(response);
        }

        if (relative.Length == 0)
        {
            AnswerApex(response, question, zone);
            return ZoneAnswer.Send(response);
        }

        var name = ZoneNames.ForAsker(relative, asker, out var exists);
        var records = name is null ? [] : zone.Get(name);
        if (records.Count == 0 && !exists && (name is null || !zone.Exists(name)))
        {
            response.ReturnCode = ReturnCode.NxDomain;
            response.AuthorityRecords.Add(Soa(zone));
            return ZoneAnswer.Send(response);
        }

        foreach (var record in records)
        {
            if (ToWire(question.Name, record) is { } wire && (question.RecordType == RecordType.Any || wire.RecordType == question.RecordType))
            {
                response.AnswerRecords.Add(wire);
            }
        }

        if (response.AnswerRecords.Count == 0)
        {
            response.AuthorityRecords.Add(Soa(zone)); // NODATA
        }

        return ZoneAnswer.Send(response);
    }

    /// <summary>
    /// The query name relative to the zone, lower case ("" for the apex), or null when it is outside the zone. A name
    /// in the zone whose labels cannot be table keys (dots or bytes beyond ASCII inside a label) becomes a key no
    /// table holds, so it gets NXDOMAIN.
    /// </summary>
    public string? RelativeName(DomainName name)
    {
        var labels = name.Labels;
        var extra = labels.Length - _zoneLabels.Length;
        if (extra < 0)
        {
            return null;
        }

        for (var i = 0; i < _zoneLabels.Length; i++)
        {
            if (!string.Equals(labels[extra + i], _zoneLabels[i], StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        if (extra == 0)
        {
            return "";
        }

        for (var i = 0; i < extra; i++)
        {
            var label = labels[i];
            if (label.Length == 0 || label.Contains('.') || label.Any(c => c > 0x7e || c <= 0x20))
            {
                return "\0invalid";
            }
        }

        return string.Join('.', labels, 0, extra).ToLowerInvariant();
    }

    private void AnswerApex(DnsMessage response, DnsQuestion question, ZoneSnapshot zone)
    {
        var type = question.RecordType;
        if (type is RecordType.Soa or RecordType.Any)
        {
            response.AnswerRecords.Add(Soa(zone, question.Name));
        }

        if (type is RecordType.Ns or RecordType.Any)
        {
            response.AnswerRecords.Add(new NsRecord(question.Name, _ttl, _primary));
        }

        if (response.AnswerRecords.Count == 0)
        {
            response.AuthorityRecords.Add(Soa(zone));
        }
    }

    // The serial follows the table's version, so a secondary (or a curious operator) sees that the zone changed.
    private SoaRecord Soa(ZoneSnapshot zone, DomainName? owner = null) =>
        new(owner ?? _zone, _ttl, _primary, _hostmaster, unchecked((uint)zone.Version), 60, 30, 600, _ttl);

    private DnsRecordBase? ToWire(DomainName owner, ZoneRecord record) => record switch
    {
        AddressRecord a when a.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork => new ARecord(owner, _ttl, a.Address),
        AddressRecord a => new AaaaRecord(owner, _ttl, a.Address),
        ServiceRecord s => new SrvRecord(owner, _ttl, s.Priority, s.Weight, s.Port, DomainName.Parse(DnsTable.Normalize(s.Target)) + _zone),
        _ => null,
    };
}
