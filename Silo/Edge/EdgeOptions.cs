namespace Formation.Silo.Edge;

/// <summary>The edge proxy (section "Formation:Edge"; <c>--edge-port</c> maps onto <see cref="HttpPort"/>).</summary>
public sealed class EdgeOptions
{
    public const string Section = "Formation:Edge";

    /// <summary>
    /// The port the edge proxy serves HTTP on, on every address of the node (default 80; 0: no proxy). When the default
    /// port is taken (another web server), the silo runs without the proxy and says so; a port given explicitly that is
    /// taken stops the silo.
    /// </summary>
    public int HttpPort { get; set; } = 80;

    /// <summary>True when <see cref="HttpPort"/> was set (flag or configuration) rather than left at its default.</summary>
    public bool Explicit { get; set; }

    /// <summary>
    /// The port the edge proxy serves HTTPS on, for routes with a certificate (chosen by SNI; default 443; 0: none).
    /// Taken default: skipped with a warning, like <see cref="HttpPort"/>.
    /// </summary>
    public int HttpsPort { get; set; } = 443;

    /// <summary>True when <see cref="HttpsPort"/> was set rather than left at its default.</summary>
    public bool HttpsExplicit { get; set; }

    /// <summary>
    /// A port on which the edge proxy speaks cleartext HTTP/2 with prior knowledge (h2c, for gRPC clients without TLS);
    /// default 0: none. HTTP/1.1 clients are not served there (Kestrel cannot tell both apart without TLS): they use
    /// <see cref="HttpPort"/>. A chosen port that is taken stops the silo.
    /// </summary>
    public int H2cPort { get; set; }

    /// <summary>How often the routes and their services' serving replicas are read (the table's staleness bound).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a connection to a replica may take before another replica is tried.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a replica that refused a connection is skipped (passive health check).</summary>
    public TimeSpan FailurePenalty { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How many connections one TCP route may have open through this node at once; more are closed on accept.</summary>
    public int TcpMaxConnections { get; set; } = 1024;

    /// <summary>How long a TCP connection may carry no byte in either direction before the edge closes it.</summary>
    public TimeSpan TcpIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The silo's own ports (gateway, HTTP API, metrics, DNS, these edge ports...), which a TCP route is never opened on
    /// here even if the route catalog took it (it knows only the ports nodes report). Filled by the silo, not configured.
    /// </summary>
    public HashSet<int> ReservedPorts { get; } = [];
}
