using System.Net;
using Formation.Errors;

namespace Formation.Connection;

/// <summary>How a client (form, the dashboard) reaches the cluster: a gateway (default 127.0.0.1:30000) or PostgreSQL membership (cluster mode).</summary>
public sealed record ConnectionSettings(string Gateway, string? Postgres, string ClusterId, string ServiceId, TimeSpan Timeout)
{
    public const string DefaultGateway = "127.0.0.1:30000";

    /// <summary>Where the client looks: the PostgreSQL membership table, or the gateway address.</summary>
    public string Target => Postgres is null ? Gateway : "the PostgreSQL membership table";

    /// <summary>The gateway's host (without IPv6 brackets) and port, or false when it is not HOST:PORT.</summary>
    public bool TrySplitGateway(out string host, out int port)
    {
        var colon = Gateway.LastIndexOf(':');
        host = colon > 0 ? Gateway[..colon].Trim('[', ']') : "";
        return int.TryParse(Gateway[(colon + 1)..], out port) && colon > 0 && port is >= 1 and <= 65535;
    }

    public IPEndPoint ResolveGateway()
    {
        if (!TrySplitGateway(out var host, out var port))
        {
            throw FormationException.Invalid($"--gateway '{Gateway}' must be HOST:PORT, for example 127.0.0.1:30000.");
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
