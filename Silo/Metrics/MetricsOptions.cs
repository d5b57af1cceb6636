namespace Formation.Silo.Metrics;

/// <summary>Node and VM metrics (section "Formation:Metrics"; <c>--metrics-port</c> sets <see cref="Port"/>).</summary>
public sealed class MetricsOptions
{
    public const string Section = "Formation:Metrics";

    /// <summary>The default Prometheus port (the OpenTelemetry exporter's).</summary>
    public const int DefaultPort = 9464;

    /// <summary>Loopback port of the Prometheus scrape endpoint (<c>/metrics</c>); 0 turns the endpoint off.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>
    /// An OpenTelemetry collector the silo also pushes its metrics to every <see cref="Interval"/> (<c>--otlp-endpoint</c>;
    /// empty, the default: none). See <see cref="OtlpTarget"/>.
    /// </summary>
    public string OtlpEndpoint { get; set; } = "";

    /// <summary>The OTLP protocol: <c>http/protobuf</c> (default) or <c>grpc</c>.</summary>
    public string OtlpProtocol { get; set; } = "http/protobuf";

    /// <summary>Whether the node samples /proc and its VMs at all (off only to measure what collection costs).</summary>
    public bool Collect { get; set; } = true;

    /// <summary>Time between samples (default 10 s).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How much history the node keeps in memory (default one hour).</summary>
    public TimeSpan History { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How many samples the history holds.</summary>
    public int HistoryPoints => (int)Math.Clamp(History / Interval, 1, 100_000);
}
