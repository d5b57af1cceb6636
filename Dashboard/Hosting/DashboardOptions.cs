using Formation.Connection;

namespace Formation.Dashboard.Hosting;

/// <summary>How the dashboard reaches the cluster and where it listens.</summary>
public sealed record DashboardOptions
{
    public const string DefaultListen = "http://127.0.0.1:5080";

    /// <summary>A silo's gateway, HOST:PORT (ignored when <see cref="Postgres"/> is set).</summary>
    public string Gateway { get; init; } = ConnectionSettings.DefaultGateway;

    /// <summary>Cluster mode: find the silos through this PostgreSQL membership table.</summary>
    public string? Postgres { get; init; }

    public string ClusterId { get; init; } = "formation";

    /// <summary>Cluster mode: the credential file (mutual TLS); null connects without TLS (embedded mode).</summary>
    public string? Credential { get; init; }

    /// <summary>The URL the dashboard serves on. Loopback by default: it has no authentication yet.</summary>
    public string Listen { get; init; } = DefaultListen;

    /// <summary>How often the connection to the cluster is checked (the banner's reaction time).</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>After this long without an answer the Orleans client is built anew (its subscriptions too).</summary>
    public TimeSpan RebuildAfter { get; init; } = TimeSpan.FromSeconds(10);

    public ConnectionSettings Connection => new(Gateway, Postgres, ClusterId, "formation", TimeSpan.FromSeconds(5), Credential);
}
