using System.Text.RegularExpressions;
using Formation.Errors;

namespace Formation.Edge;

/// <summary>
/// A route of the edge proxy: HTTP requests for <see cref="Host"/> that reach any node's edge port go to port
/// <see cref="Port"/> of a serving replica of <see cref="Service"/>.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.edge-route")]
public sealed record EdgeRoute(
    [property: Id(0)] string Host,
    [property: Id(1)] string Service,
    [property: Id(2)] int Port,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] EdgeRouteTls? Tls = null,
    [property: Id(5)] EdgeBalance Balance = EdgeBalance.RoundRobin);

/// <summary>The public facts of a route's certificate (its key stays in the route catalog and the edge).</summary>
[GenerateSerializer, Immutable]
[Alias("formation.edge-route-tls")]
public sealed record EdgeRouteTls(
    [property: Id(0)] string Subject,
    [property: Id(1)] DateTimeOffset NotAfter,
    [property: Id(2)] bool SelfSigned,
    [property: Id(3)] string Thumbprint);

/// <summary>What <c>form route add</c> asks for TLS: a certificate and key (PEM), or a self-signed certificate made by the cluster.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.edge-tls-request")]
public sealed record EdgeTlsRequest(
    [property: Id(0)] string? CertificatePem,
    [property: Id(1)] string? KeyPem,
    [property: Id(2)] bool SelfSigned);

/// <summary>A route's certificate and private key as the edge proxies load them.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.edge-certificate")]
public sealed record EdgeCertificate(
    [property: Id(0)] string Host,
    [property: Id(1)] string CertificatePem,
    [property: Id(2)] string KeyPem);

/// <summary>What a route may name, checked by the route catalog and the CLI alike.</summary>
public static partial class EdgeRouteRules
{
    /// <summary>The host name in the form requests carry it: lower case, no trailing dot, no port.</summary>
    public static string NormalizeHost(string host) => host.Trim().TrimEnd('.').ToLowerInvariant();

    public static void RequireHost(string host)
    {
        if (host.Length is 0 or > 253 || !HostName().IsMatch(host))
        {
            throw FormationException.Invalid(
                $"'{host}' is not a host name: use dot-separated labels of letters, digits and '-' (for example 'shop.example.com'), without a port or scheme.");
        }
    }

    public static void RequirePort(int port)
    {
        if (port is < 1 or > 65535)
        {
            throw FormationException.Invalid($"Port {port} is out of range: use 1-65535.");
        }
    }

    /// <summary>The lowest port a TCP route may listen on: below it are the host's system services (ssh, DNS, the edge's 80/443).</summary>
    public const int FirstTcpListenPort = 1024;

    /// <summary>A TCP route's listen port: 1024-65535 (it is opened on every address of every node).</summary>
    public static void RequireTcpListenPort(int port)
    {
        if (port is < FirstTcpListenPort or > 65535)
        {
            throw FormationException.Invalid(
                $"TCP listen port {port} is out of range: use {FirstTcpListenPort}-65535 (lower ports belong to the host's system services).");
        }
    }

    /// <summary>The names <c>--balance</c> takes, in the order they are listed.</summary>
    public static readonly IReadOnlyList<string> BalanceNames = ["round-robin", "least-requests"];

    public static string BalanceName(EdgeBalance balance) => balance switch
    {
        EdgeBalance.LeastRequests => "least-requests",
        _ => "round-robin",
    };

    /// <summary>Reads a <c>--balance</c> value; a clear error for anything else.</summary>
    public static EdgeBalance ParseBalance(string name) => name.Trim().ToLowerInvariant() switch
    {
        "round-robin" => EdgeBalance.RoundRobin,
        "least-requests" => EdgeBalance.LeastRequests,
        _ => throw FormationException.Invalid($"'{name}' is not a balancing policy: use {string.Join(" or ", BalanceNames)}."),
    };

    /// <summary>Refuses a value outside the enum (a client may send any number).</summary>
    public static void RequireBalance(EdgeBalance balance)
    {
        if (!Enum.IsDefined(balance))
        {
            throw FormationException.Invalid($"Balancing policy {(int)balance} is unknown: use {string.Join(" or ", BalanceNames)}.");
        }
    }

    [GeneratedRegex(@"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex HostName();
}
