namespace Formation.Silo.Network;

/// <summary>The node's WireGuard mesh (section Formation:Mesh).</summary>
public sealed class MeshOptions
{
    public const string Section = "Formation:Mesh";

    /// <summary>
    /// auto (default): on in cluster mode when the node advertises a non-loopback address (a mesh over loopback joins
    /// nothing); on: always; off: never.
    /// </summary>
    public string Mode { get; set; } = "auto";

    /// <summary>WireGuard interface; default <c>fwg</c> + 8 hex digits of the node id's hash (unique per node on a host).</summary>
    public string? Interface { get; set; }

    /// <summary>UDP port the tunnel listens on.</summary>
    public int ListenPort { get; set; } = 51820;

    /// <summary>The endpoint peers use (host:port); default the advertised address and <see cref="ListenPort"/>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>How often the node re-reads cluster membership and reconciles its peers.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Guests reach addresses outside the overlay through NAT on their host (per VM, --no-egress turns it off).</summary>
    public bool Egress { get; set; } = true;
}
