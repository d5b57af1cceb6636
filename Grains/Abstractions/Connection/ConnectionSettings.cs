using System.Net;
using Formation.Errors;

namespace Formation.Connection;

/// <summary>
/// How a client (form, the dashboard) reaches the cluster: gateways (default 127.0.0.1:30000; several as a
/// comma-separated list, tried in turn when one dies) or PostgreSQL membership (cluster mode). With a
/// <see cref="Credential"/> file the Orleans client speaks mutual TLS (cluster mode); without one, plain TCP (embedded mode).
/// </summary>
public sealed record ConnectionSettings(string Gateway, string? Postgres, string ClusterId, string ServiceId, TimeSpan Timeout, string? Credential = null)
{
    public const string DefaultGateway = "127.0.0.1:30000";

    /// <summary>Where the client looks: the PostgreSQL membership table, or the gateway address.</summary>
    public string Target => Postgres is null ? Gateway : "the PostgreSQL membership table";

    /// <summary>The gateways of <see cref="Gateway"/>, in the order given.</summary>
    public IReadOnlyList<string> Gateways =>
        Gateway.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } list ? list : [Gateway];

    /// <summary>The (first) gateway's host (without IPv6 brackets) and port, or false when it is not HOST:PORT.</summary>
    public bool TrySplitGateway(out string host, out int port) => TrySplit(Gateways[0], out host, out port);

    /// <summary>A gateway's host (without IPv6 brackets) and port, or false when it is not HOST:PORT.</summary>
    public static bool TrySplit(string gateway, out string host, out int port)
    {
        var colon = gateway.LastIndexOf(':');
        host = colon > 0 ? gateway[..colon].Trim('[', ']') : "";
        return int.TryParse(gateway[(colon + 1)..], out port) && colon > 0 && port is >= 1 and <= 65535;
    }

    /// <summary>Every gateway's address; a malformed or unresolvable one is an InvalidArgument error.</summary>
    public IReadOnlyList<IPEndPoint> ResolveGateways() => Gateways.Select(Resolve).ToArray();

    public IPEndPoint ResolveGateway() => Resolve(Gateways[0]);

    private static IPEndPoint Resolve(string gateway)
    {
        if (!TrySplit(gateway, out var host, out var port))
        {
            throw FormationException.Invalid($"--gateway '{gateway}' must be HOST:PORT (several: comma-separated), for example 127.0.0.1:30000.");
        }

        if (IPAddress.TryParse(host, out var ip))
        {
            return new IPEndPoint(ip, port);
        }

        try
        {
            var addresses = Dns.GetHostAddresses(host);
            var chosen = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.First();
            return new IPEndPoint(chosen, port);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            throw FormationException.Invalid($"--gateway host '{host}' cannot be resolved ({ex.Message}).");
        }
    }
}
