namespace Formation.P2p.Mdns;

/// <summary>A DNS resource record as mDNS discovery needs it: PTR carries <see cref="Target"/>, TXT carries <see cref="Texts"/>.</summary>
public sealed record DnsRecord(string Name, ushort Type, uint Ttl, string? Target, IReadOnlyList<string> Texts)
{
    /// <summary>PTR.</summary>
    public const ushort Ptr = 12;

    /// <summary>TXT.</summary>
    public const ushort Txt = 16;
}
