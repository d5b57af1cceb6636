using Formation.Silo.Discovery;
using Formation.Silo.HttpApi;
using Formation.Silo.Nodes;

namespace Formation.Silo.Hosting;

/// <summary>The silo's configuration (section "Formation"; flags such as --node-id map onto it).</summary>
public sealed class FormationOptions
{
    public const string Section = "Formation";

    /// <summary>This host's node id; defaults to the host name made into a DNS label.</summary>
    public string? NodeId { get; set; }

    /// <summary>Where the silo keeps its database (embedded mode), VM files and images.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>embedded (default) or cluster.</summary>
    public string Mode { get; set; } = "embedded";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos and clients reach this one at (cluster mode). Defaults to 127.0.0.1 in
    /// embedded mode and to the first non-loopback IPv4 address in cluster mode.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>PostgreSQL connection string (cluster mode).</summary>
    public string? Postgres { get; set; }

    public string ClusterId { get; set; } = "formation";

    public string ServiceId { get; set; } = "formation";

    /// <summary>Hypervisor driver: auto (default), kvm, qemu, sim (simulated VMs, for scale tests) or none.</summary>
    public string Driver { get; set; } = Formation.Silo.Hypervisors.DriverNames.Auto;

    /// <summary>How long a stopping silo may take before it exits anyway (default 30 s; VMs keep running).</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>Default TCP port of the join endpoint on the node that holds the cluster CA.</summary>
    public const int DefaultJoinPort = 30443;

    /// <summary>Cluster mode: the join endpoint's port (TLS, every address) on the node that holds the cluster CA.</summary>
    public int JoinPort { get; set; } = DefaultJoinPort;

    /// <summary>Cluster mode: a one-time token (<c>form node token create</c>) this node exchanges for its certificate on first start.</summary>
    public string? JoinToken { get; set; }

    /// <summary>Cluster mode: HOST:PORT of the CA holder's join endpoint (default: the one recorded in the cluster's database).</summary>
    public string? JoinAddress { get; set; }

    /// <summary>Optional override of what this node offers to the scheduler.</summary>
    public CapacityOptions Capacity { get; set; } = new();

    /// <summary>Node and VM metrics: the Prometheus port, sampling interval, history.</summary>
    public Metrics.MetricsOptions Metrics { get; set; } = new();

    /// <summary>The libp2p host: port, peers to join through, mDNS.</summary>
    public DiscoveryOptions Discovery { get; set; } = new();

    /// <summary>The HTTP API for automation: loopback port (0: none) and per-client limits.</summary>
    public HttpApiOptions HttpApi { get; set; } = new();

    /// <summary>The edge proxy: its HTTP port on every address (0: none).</summary>
    public Edge.EdgeOptions Edge { get; set; } = new();

    /// <summary>
    /// Benchmark only: no mutual TLS and no proofs (every client call runs as the system). Refused unless the environment
    /// variable <see cref="Identity.BenchmarkIdentitySwitch.EnvironmentVariable"/> is <c>1</c>, and always in cluster mode.
    /// </summary>
    public bool BenchmarkWithoutIdentity { get; set; }
}
