namespace Formation.Silo.Discovery;

/// <summary>The silo's libp2p discovery (section "Formation:Discovery"; --p2p-port, --join and --mdns map onto it).</summary>
public sealed class DiscoveryOptions
{
    public const string Section = "Formation:Discovery";

    /// <summary>Run the libp2p host at all (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>TCP port of the libp2p host (default 4001).</summary>
    public int Port { get; set; } = 4001;

    /// <summary>
    /// Peers to find the cluster through: multiaddrs ending in <c>/p2p/&lt;PeerId&gt;</c>, separated by commas or spaces.
    /// </summary>
    public string? Join { get; set; }

    /// <summary>Announce and find peers by mDNS on the local network (default off).</summary>
    public bool Mdns { get; set; }

    /// <summary>How often the node signs a fresh record, republishes it and looks for new members (default 60 s).</summary>
    public TimeSpan RecordRefresh { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The file of the node's libp2p identity, relative to the data directory (default p2p/identity.key).</summary>
    public string IdentityFile { get; set; } = Path.Combine("p2p", "identity.key");
}
