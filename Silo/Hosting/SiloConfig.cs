using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Formation.Silo.Discovery;
using Formation.Silo.HttpApi;
using Formation.Silo.Hypervisors;
using Formation.Silo.Nodes;

namespace Formation.Silo.Hosting;

/// <summary>The silo's configuration after validation: every value present, parsed and checked.</summary>
public sealed record SiloConfig(
    string NodeId,
    string DataDirectory,
    FormationMode Mode,
    int SiloPort,
    int GatewayPort,
    IPAddress AdvertisedAddress,
    string? Postgres,
    string ClusterId,
    string ServiceId,
    string Driver,
    CapacityOptions Capacity,
    DiscoverySettings? Discovery = null,
    HttpApiOptions? HttpApi = null,
    int MetricsPort = 0,
    Metrics.OtlpTarget? Otlp = null,
    TimeSpan MetricsInterval = default,
    int JoinPort = FormationOptions.DefaultJoinPort)
{
    /// <summary>This node's TLS credential (set once <see cref="Identity.NodeIdentitySetup"/> has run, in either mode).</summary>
    public Formation.Identity.ClusterCredential? Credential { get; init; }

    /// <summary>Benchmark only (<see cref="Identity.BenchmarkIdentitySwitch"/>): no mutual TLS, no proofs; false in every real start-up.</summary>
    public bool WithoutIdentity { get; init; }

    /// <summary>The cluster CA with its key, on the node that holds it (the first node; the only one in embedded mode).</summary>
    public Identity.ClusterAuthority? Authority { get; init; }

    /// <summary>Cluster mode: the cluster's identity rows (which node holds the CA); null in embedded mode.</summary>
    public Identity.IdentityStore? IdentityStore { get; init; }

    /// <summary>The Prometheus endpoint's URL, or empty when it is off.</summary>
    public string MetricsUrl => Metrics.MetricsServiceCollectionExtensions.Url(MetricsPort);

    /// <summary>The SQLite database of embedded mode.</summary>
    public string SqlitePath => Path.Combine(DataDirectory, "formation.db");

    /// <summary>Validates options; returns the config or every problem found, each saying what to do.</summary>
    public static SiloConfig Resolve(FormationOptions o, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var nodeId = string.IsNullOrWhiteSpace(o.NodeId) ? Names.NodeIdFromHostName(System.Net.Dns.GetHostName()) : o.NodeId.Trim();
        if (!Names.IsDnsLabel(nodeId))
        {
            problems.Add($"node id '{nodeId}' is not valid: use lower-case letters, digits and '-' (set --node-id or Formation:NodeId).");
        }

        FormationMode mode = default;
        if (!Enum.TryParse(o.Mode, ignoreCase: true, out mode) || !Enum.IsDefined(mode))
        {
            problems.Add($"mode '{o.Mode}' is not valid: use 'embedded' or 'cluster' (--mode).");
        }

        CheckPort(o.SiloPort, "silo port (--silo-port)", problems);
        CheckPort(o.GatewayPort, "gateway port (--gateway-port)", problems);
        if (o.SiloPort == o.GatewayPort)
        {
            problems.Add($"silo port and gateway port are both {o.SiloPort}: they must differ.");
        }

        if (mode == FormationMode.Cluster && string.IsNullOrWhiteSpace(o.Postgres))
        {
            problems.Add("cluster mode needs a PostgreSQL connection string: --postgres \"Host=...;Username=...;Database=...\".");
        }

        var driver = (o.Driver ?? "").Trim().ToLowerInvariant();
        if (!DriverNames.Configurable.Contains(driver))
        {
            problems.Add($"driver '{o.Driver}' is not known: use one of {string.Join(", ", DriverNames.Configurable)} (--driver).");
        }

        var address = ResolveAddress(o.AdvertisedAddress, mode, problems);
        var beforeData = problems.Count;
        var dataDir = ResolveDataDirectory(o.DataDirectory, problems);
        var discovery = problems.Count == beforeData ? DiscoverySettings.Resolve(o.Discovery, dataDir, address, o.ClusterId, problems) : null;
        if (discovery is not null && (o.Discovery.Port == o.SiloPort || o.Discovery.Port == o.GatewayPort))
        {
            problems.Add($"libp2p port {o.Discovery.Port} is also the silo or gateway port: choose another with --p2p-port.");
        }

        o.HttpApi.Validate(problems);
        if (o.HttpApi.Enabled && (o.HttpApi.Port == o.SiloPort || o.HttpApi.Port == o.GatewayPort || (discovery is not null && o.HttpApi.Port == o.Discovery.Port)))
        {
            problems.Add($"HTTP API port {o.HttpApi.Port} is also the silo, gateway or libp2p port: choose another with --http-port.");
        }

        var metrics = o.Metrics;
        if (metrics.Port is < 0 or > 65535)
        {
            problems.Add($"metrics port {metrics.Port} is out of range 0–65535 (--metrics-port; 0 turns the endpoint off).");
        }
        else if (metrics.Port != 0 && (metrics.Port == o.SiloPort || metrics.Port == o.GatewayPort || (o.HttpApi.Enabled && metrics.Port == o.HttpApi.Port) || (discovery is not null && metrics.Port == o.Discovery.Port)))
        {
            problems.Add($"metrics port {metrics.Port} is also the silo, gateway, HTTP API or libp2p port: choose another with --metrics-port (or 0 for none).");
        }

        if (metrics.Interval < TimeSpan.FromMilliseconds(100) || metrics.History < metrics.Interval)
        {
            problems.Add($"Metrics:Interval must be at least 100 ms and Metrics:History at least one interval (got {metrics.Interval} and {metrics.History}).");
        }

        Metrics.OtlpTarget? otlp = null;
        if (!string.IsNullOrWhiteSpace(metrics.OtlpEndpoint))
        {
            otlp = Metrics.OtlpTarget.Parse(metrics.OtlpEndpoint, metrics.OtlpProtocol, out var otlpError);
            if (otlpError is not null)
            {
                problems.Add(otlpError);
            }
        }

        if (mode == FormationMode.Cluster)
        {
            CheckPort(o.JoinPort, "join port (--join-port)", problems);
            if (o.JoinPort == o.SiloPort || o.JoinPort == o.GatewayPort || (o.HttpApi.Enabled && o.JoinPort == o.HttpApi.Port) || o.JoinPort == metrics.Port
                || (discovery is not null && o.JoinPort == o.Discovery.Port))
            {
                problems.Add($"join port {o.JoinPort} is also the silo, gateway, HTTP API, metrics or libp2p port: choose another with --join-port.");
            }

            if (o.JoinToken is not null && !Identity.JoinToken.TryParse(o.JoinToken, out _, out var tokenError))
            {
                problems.Add($"--join-token: {tokenError}");
            }
        }
        else if (!string.IsNullOrWhiteSpace(o.JoinToken))
        {
            problems.Add("--join-token is for cluster mode (--mode cluster): an embedded node is a cluster of its own and needs no token.");
        }

        if (o.Capacity.CpuOvercommit is <= 0 or > 64)
        {
            problems.Add($"Capacity:CpuOvercommit must be between 0 and 64 (got {o.Capacity.CpuOvercommit}).");
        }

        var withoutIdentity = Identity.BenchmarkIdentitySwitch.Problem(o.BenchmarkWithoutIdentity, mode,
            Environment.GetEnvironmentVariable(Identity.BenchmarkIdentitySwitch.EnvironmentVariable)) is { } switchProblem
            ? Refused(problems, switchProblem)
            : o.BenchmarkWithoutIdentity;
        errors = problems;
        return new SiloConfig(nodeId, dataDir, mode, o.SiloPort, o.GatewayPort, address, o.Postgres, o.ClusterId,
            o.ServiceId, driver, o.Capacity, discovery, o.HttpApi.Enabled ? o.HttpApi : null, metrics.Collect ? metrics.Port : 0,
            otlp, metrics.Interval, o.JoinPort) { WithoutIdentity = withoutIdentity };
    }

    private static bool Refused(List<string> problems, string problem)
    {
        problems.Add(problem);
        return false;
    }

    private static void CheckPort(int port, string what, List<string> problems)
    {
        if (port is < 1 or > 65535)
        {
            problems.Add($"{what} {port} is out of range 1–65535.");
        }
    }

    private static IPAddress ResolveAddress(string? configured, FormationMode mode, List<string> problems)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (IPAddress.TryParse(configured, out var parsed))
            {
                return parsed;
            }

            problems.Add($"advertised address '{configured}' is not an IP address (--advertise).");
            return IPAddress.Loopback;
        }

        return mode == FormationMode.Embedded ? IPAddress.Loopback : FirstNonLoopbackIPv4() ?? IPAddress.Loopback;
    }

    private static IPAddress? FirstNonLoopbackIPv4() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    private static string ResolveDataDirectory(string? configured, List<string> problems)
    {
        var dir = string.IsNullOrWhiteSpace(configured) ? DefaultDataDirectory() : configured;
        try
        {
            dir = Path.GetFullPath(dir);
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problems.Add($"data directory '{dir}' is not usable ({ex.Message}); choose another with --data-dir.");
        }

        return dir;
    }

    /// <summary>/var/lib/formation for root, ~/.local/share/formation otherwise.</summary>
    public static string DefaultDataDirectory() =>
        Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root"
            ? "/var/lib/formation"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "formation");
}
