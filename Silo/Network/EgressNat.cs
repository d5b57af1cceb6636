using Formation.Networking;
using Formation.Silo.Platform;

namespace Formation.Silo.Network;

/// <summary>
/// Guests' way out: an nftables table of this node that masquerades traffic from the node's VM subnet to addresses
/// outside the overlay, and drops the forwarded traffic of VMs that asked for no egress. Replaced atomically. A node
/// without the mesh (or with its egress off) has no masquerade, but a VM that asks for no egress still gets the drops:
/// the table is then made with the filter chains only (<see cref="EnsureFilterAsync"/>), so the host's own addresses
/// outside the overlay are not reachable from it either.
/// </summary>
public sealed class EgressNat(Formation.Silo.Platform.NodeIdentity node)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _noEgress = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _visiting = [];
    private (Ipv4Subnet Subnet, string Bridge, string? Mesh)? _target;

    /// <summary>The table: <c>formation_</c> + 8 hex digits of the node id's hash (one per node on a host).</summary>
    public string Table => "formation_" + HostNetwork.BridgeNameFor(node.NodeId)[3..];

    public async Task EnsureAsync(Ipv4Subnet subnet, string bridge, string meshInterface, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _target = (subnet, bridge, meshInterface);
            await ApplyAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The drops for no-egress VMs without a masquerade, unless the mesh has made the full table already.</summary>
    public async Task EnsureFilterAsync(Ipv4Subnet subnet, string bridge, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_target is null)
            {
                _target = (subnet, bridge, null);
                await ApplyAsync(cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Turns one VM's egress off (or back on); applied at once when the table exists.</summary>
    public async Task SetEgressAsync(string address, bool allowed, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var changed = allowed ? _noEgress.Remove(address) : _noEgress.Add(address);
            if (changed && _target is not null)
            {
                await ApplyAsync(cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The roaming guests this node hosts (addresses of other nodes' subnets, <see cref="HostNetwork.Hosted"/>): masqueraded
    /// like the node's own subnet. Applied at once when the table exists.
    /// </summary>
    public async Task SetVisitingAsync(IReadOnlyList<string> addresses, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!addresses.SequenceEqual(_visiting))
            {
                _visiting = [.. addresses];
                if (_target is not null)
                {
                    await ApplyAsync(cancellationToken);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The ruleset text (public for tests); without <paramref name="meshInterface"/>, no masquerade.</summary>
    /// <param name="visiting">Roaming guests' addresses hosted here: their egress is masqueraded too.</param>
    public static string Ruleset(string table, Ipv4Subnet subnet, string bridge, string? meshInterface, IEnumerable<string> noEgress, IEnumerable<string>? visiting = null)
    {
        var roaming = (visiting ?? []).Order(StringComparer.Ordinal).ToList();
        var sources = roaming.Count == 0 ? subnet.ToString() : $"{{ {string.Join(", ", roaming.Prepend(subnet.ToString()))} }}";
        var overlay = NetworkPlan.Overlay.ToString();
        var blocked = string.Join(", ", noEgress.Order(StringComparer.Ordinal));
        var set = blocked.Length == 0 ? "" : $"    elements = {{ {blocked} }}\n";
        return
            HostNft.Replacing("ip", table) +
            $"table ip {table} {{\n" +
            $"  set no_egress {{\n    type ipv4_addr\n{set}  }}\n" +
            $"  chain forward {{\n    type filter hook forward priority filter; policy accept;\n" +
            $"    iifname \"{bridge}\" ip saddr @no_egress ct state established,related accept\n" +
            $"    iifname \"{bridge}\" ip saddr @no_egress ip daddr != {overlay} drop\n  }}\n" +
            $"  chain input {{\n    type filter hook input priority filter; policy accept;\n" +
            $"    iifname \"{bridge}\" ip saddr @no_egress ct state established,related accept\n" +
            $"    iifname \"{bridge}\" ip saddr @no_egress ip daddr != {overlay} drop\n  }}\n" +
            (meshInterface is null ? "" :
            $"  chain postrouting {{\n    type nat hook postrouting priority srcnat; policy accept;\n" +
            $"    ip saddr {sources} ip daddr != {overlay} oifname != \"{meshInterface}\" masquerade\n  }}\n") +
            "}\n";
    }

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var (subnet, bridge, mesh) = _target!.Value;
        await HostNft.LoadAsync(Table, Ruleset(Table, subnet, bridge, mesh, _noEgress, _visiting), cancellationToken);
    }
}
