namespace Formation.P2p.Mdns;

/// <summary>mDNS discovery settings.</summary>
public sealed class MdnsOptions
{
    /// <summary>The service name libp2p uses.</summary>
    public string ServiceName { get; init; } = "_p2p._udp.local";

    /// <summary>How often to query (js default 10 s).</summary>
    public TimeSpan QueryInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Dial peers as they are discovered (js-libp2p 3 does not; Formation does, to exchange records).</summary>
    public bool AutoDial { get; init; } = true;

    /// <summary>UDP port (5353).</summary>
    public int Port { get; init; } = 5353;
}
