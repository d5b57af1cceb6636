using System.Text.RegularExpressions;
using Formation.Nodes;

namespace Formation.Grains.Edge;

/// <summary>The TCP ports a node reports its silo listening on, which no TCP route may take.</summary>
public static partial class NodePorts
{
    /// <summary>
    /// The ports of its silo endpoint, gateway, metrics URL and libp2p addresses (<c>/tcp/4001</c>). Ports a node does not
    /// report (its edge's own HTTP/HTTPS, its HTTP API) are refused by that node's edge when it opens the route.
    /// </summary>
    public static IReadOnlySet<int> Of(NodeInfo info)
    {
        var ports = new SortedSet<int>();
        Add(ports, EndpointPort(info.SiloEndpoint));
        Add(ports, EndpointPort(info.GatewayEndpoint));
        if (Uri.TryCreate(info.MetricsUrl, UriKind.Absolute, out var metrics))
        {
            Add(ports, metrics.Port);
        }

        foreach (var address in info.Multiaddrs ?? [])
        {
            var tcp = TcpComponent().Match(address);
            if (tcp.Success && int.TryParse(tcp.Groups[1].ValueSpan, out var port))
            {
                Add(ports, port);
            }
        }

        return ports;
    }

    /// <summary>The port of <c>host:port</c> or <c>[v6]:port</c>; null when there is none.</summary>
    private static int? EndpointPort(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return colon >= 0 && int.TryParse(endpoint.AsSpan(colon + 1), out var port) ? port : null;
    }

    private static void Add(SortedSet<int> ports, int? port)
    {
        if (port is > 0 and <= 65535)
        {
            ports.Add(port.Value);
        }
    }

    [GeneratedRegex(@"/tcp/([0-9]{1,5})(/|$)")]
    private static partial Regex TcpComponent();
}
