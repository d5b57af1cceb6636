using System.Net;
using System.Net.Sockets;
using Formation.Errors;
using Formation.Silo.Platform;
using Formation.Vms;

namespace Formation.Silo.Network;

/// <summary>
/// <c>--publish</c> on this node: an nftables table of its own (<c>formation_p</c> + 8 hex digits of the node id's
/// hash) that DNATs a host port on the node's addresses (not loopback) to a VM's address and port. Rebuilt and
/// replaced atomically whenever a VM's ports open or close; a host port is refused when another VM of this node
/// publishes it or a process of the host listens on it.
/// </summary>
public sealed class PortForwards(NodeIdentity node)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, (string Address, IReadOnlyList<PortPublish> Ports)> _byVm = new(StringComparer.Ordinal);

    public string Table => "formation_p" + HostNetwork.BridgeNameFor(node.NodeId)[3..];

    /// <summary>
    /// Publishes the VM's ports (replacing what it published before). <paramref name="checkHost"/> is false on
    /// re-adoption, when the rules may already be there.
    /// </summary>
    public async Task OpenAsync(string vmId, string address, IReadOnlyList<PortPublish> ports, bool checkHost, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (PortPublish.CheckList(ports) is { } problem)
            {
                throw FormationException.Invalid(problem);
            }

            foreach (var port in ports)
            {
                var other = _byVm.FirstOrDefault(e => e.Key != vmId && e.Value.Ports.Any(p => p.HostPort == port.HostPort && p.Protocol == port.Protocol));
                if (other.Key is not null)
                {
                    throw FormationException.Invalid($"--publish {port}: host port {port.HostPort}/{port.ProtocolWord} of node {node.NodeId} is already published by VM {other.Key}; pick another host port.");
                }

                var mine = _byVm.TryGetValue(vmId, out var current) && current.Ports.Contains(port);
                if (checkHost && !mine && !IsFree(port))
                {
                    throw FormationException.Invalid($"--publish {port}: host port {port.HostPort}/{port.ProtocolWord} of node {node.NodeId} is in use by a process on the host; pick another host port.");
                }
            }

            if (ports.Count == 0 && !_byVm.ContainsKey(vmId))
            {
                return;
            }

            _byVm[vmId] = (address, ports);
            await ApplyAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes the VM's forwards (idempotent).</summary>
    public async Task CloseAsync(string vmId, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_byVm.Remove(vmId))
            {
                await ApplyAsync(cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The ruleset text (public for tests). Loopback is left out: DNAT from 127/8 needs route_localnet.</summary>
    public static string Ruleset(string table, IEnumerable<(string Address, PortPublish Port)> forwards)
    {
        var rules = string.Concat(forwards
            .OrderBy(f => f.Port.HostPort).ThenBy(f => f.Port.Protocol)
            .Select(f => $"    fib daddr type local ip daddr != 127.0.0.0/8 {f.Port.ProtocolWord} dport {f.Port.HostPort} dnat to {IPAddress.Parse(f.Address)}:{f.Port.GuestPort}\n"));
        return
            HostNft.Replacing("ip", table) +
            $"table ip {table} {{\n" +
            $"  chain prerouting {{\n    type nat hook prerouting priority dstnat; policy accept;\n{rules}  }}\n" +
            $"  chain output {{\n    type nat hook output priority -100; policy accept;\n{rules}  }}\n" +
            "}\n";
    }

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await HostNft.LoadAsync(Table, Ruleset(Table, _byVm.Values.SelectMany(v => v.Ports.Select(p => (v.Address, p)))), cancellationToken);
    }

    /// <summary>Whether nothing on the host listens on the port (a bind on all addresses succeeds).</summary>
    private static bool IsFree(PortPublish port)
    {
        try
        {
            using var socket = port.Protocol == PublishProtocol.Udp
                ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
                : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Any, port.HostPort));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
