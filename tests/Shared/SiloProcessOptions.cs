namespace Formation.Testing;

/// <summary>How to start a <see cref="SiloProcess"/>. Ports default to free loopback ports.</summary>
public sealed record SiloProcessOptions(string NodeId, string DataDirectory)
{
    public string Mode { get; init; } = "embedded";

    public string Driver { get; init; } = "sim";

    public string? Postgres { get; init; }

    public int SiloPort { get; init; } = FreePorts.Next();

    public int GatewayPort { get; init; } = FreePorts.Next();

    /// <summary>The libp2p port (--p2p-port); a free one, so silos of parallel tests never collide on 4001.</summary>
    public int P2pPort { get; init; } = FreePorts.Next();

    /// <summary>The HTTP API's loopback port (--http-port); a free one, so silos of parallel tests never collide on 30080.</summary>
    public int HttpPort { get; init; } = FreePorts.Next();

    /// <summary>The edge proxy's port (--edge-port); 0 (none) unless a test asks, so no test silo takes port 80.</summary>
    public int EdgePort { get; init; }

    /// <summary>The edge proxy's HTTPS port (--edge-tls-port); 0 (none) unless a test asks.</summary>
    public int EdgeTlsPort { get; init; }

    /// <summary>The Prometheus port (--metrics-port); a free one, so silos on one host never collide on 9464 (0 turns it off).</summary>
    public int MetricsPort { get; init; } = FreePorts.Next();

    /// <summary>The metrics endpoint's URL (the silo serves it on loopback).</summary>
    public string MetricsUrl => $"http://127.0.0.1:{MetricsPort}/metrics";

    /// <summary>The join endpoint's port (--join-port) when this node holds the cluster CA; a free one.</summary>
    public int JoinPort { get; init; } = FreePorts.Next();

    /// <summary>Cluster mode: the one-time token a new node joins with (--join-token); see <see cref="ClusterJoin"/>.</summary>
    public string? JoinToken { get; init; }

    /// <summary>Cluster mode: HOST:PORT of the CA holder's join endpoint (--join-address).</summary>
    public string? JoinAddress { get; init; }

    public Dictionary<string, string> Environment { get; init; } = [];

    /// <summary>A command that runs dotnet, e.g. <c>ip netns exec NS</c> (it must exec, so the process id stays the silo's).</summary>
    public IReadOnlyList<string> Wrapper { get; init; } = [];

    /// <summary>The address to advertise (default loopback).</summary>
    public string Advertise { get; init; } = "127.0.0.1";

    /// <summary>More formation-silo arguments, e.g. <c>--join</c>, <c>--mdns</c>, <c>--mesh on</c>.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>formation-silo.dll to run; default: the one next to the test assembly.</summary>
    public string? Executable { get; init; }

    public IEnumerable<string> Arguments()
    {
        yield return "--node-id";
        yield return NodeId;
        yield return "--data-dir";
        yield return DataDirectory;
        yield return "--mode";
        yield return Mode;
        yield return "--driver";
        yield return Driver;
        yield return "--silo-port";
        yield return SiloPort.ToString();
        yield return "--gateway-port";
        yield return GatewayPort.ToString();
        yield return "--http-port";
        yield return HttpPort.ToString();
        yield return "--edge-port";
        yield return EdgePort.ToString();
        yield return "--edge-tls-port";
        yield return EdgeTlsPort.ToString();
        yield return "--advertise";
        yield return Advertise;
        yield return "--p2p-port";
        yield return P2pPort.ToString();
        yield return "--metrics-port";
        yield return MetricsPort.ToString();
        if (Postgres is not null)
        {
            yield return "--postgres";
            yield return Postgres;
        }

        if (Mode == "cluster")
        {
            yield return "--join-port";
            yield return JoinPort.ToString();
        }

        if (JoinToken is not null)
        {
            yield return "--join-token";
            yield return JoinToken;
        }

        if (JoinAddress is not null)
        {
            yield return "--join-address";
            yield return JoinAddress;
        }

        foreach (var extra in ExtraArguments)
        {
            yield return extra;
        }
    }
}
