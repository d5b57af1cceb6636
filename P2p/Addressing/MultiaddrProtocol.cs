namespace Formation.P2p.Addressing;

/// <summary>One multiaddr protocol: its code, name and value size (bits; 0 = no value; -1 = varint-length-prefixed).</summary>
public sealed record MultiaddrProtocol(int Code, string Name, int SizeBits)
{
    /// <summary>ip4.</summary>
    public const int Ip4 = 4;

    /// <summary>tcp.</summary>
    public const int Tcp = 6;

    /// <summary>ip6.</summary>
    public const int Ip6 = 41;

    /// <summary>dns4.</summary>
    public const int Dns4 = 54;

    /// <summary>udp.</summary>
    public const int Udp = 273;

    /// <summary>p2p (PeerId).</summary>
    public const int P2p = 421;

    private static readonly MultiaddrProtocol[] All =
    [
        new(Ip4, "ip4", 32), new(Tcp, "tcp", 16), new(Udp, "udp", 16), new(33, "dccp", 16), new(Ip6, "ip6", 128),
        new(42, "ip6zone", -1), new(43, "ipcidr", 8), new(53, "dns", -1), new(Dns4, "dns4", -1), new(55, "dns6", -1),
        new(56, "dnsaddr", -1), new(132, "sctp", 16), new(P2p, "p2p", -1), new(290, "p2p-circuit", 0),
        new(280, "webrtc-direct", 0), new(281, "webrtc", 0), new(448, "tls", 0), new(449, "sni", -1),
        new(454, "noise", 0), new(460, "quic", 0), new(461, "quic-v1", 0), new(465, "webtransport", 0),
        new(466, "certhash", -1), new(477, "ws", 0), new(478, "wss", 0), new(480, "http", 0),
    ];

    private static readonly Dictionary<int, MultiaddrProtocol> ByCodeMap = All.ToDictionary(p => p.Code);
    private static readonly Dictionary<string, MultiaddrProtocol> ByNameMap =
        All.Select(p => (p.Name, p)).Append(("ipfs", ByCodeMap[P2p])).ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal);

    /// <summary>The protocol with code <paramref name="code"/>, or null if unknown.</summary>
    public static MultiaddrProtocol? ByCode(ulong code) => code <= int.MaxValue && ByCodeMap.TryGetValue((int)code, out var p) ? p : null;

    /// <summary>The protocol named <paramref name="name"/>, or null if unknown.</summary>
    public static MultiaddrProtocol? ByName(string name) => ByNameMap.GetValueOrDefault(name);
}
