using System.Globalization;
using System.Net;
using System.Text;
using Formation.Silo.Platform;

namespace Formation.Silo.Network;

/// <summary>
/// Keeps accounts apart between nodes: an nftables <c>inet</c> table of this node (<c>formation_x</c> + 8 hex digits
/// of the node id's hash) whose forward hook lets a packet that comes in from the mesh interface and goes out to the
/// node's VM bridge through only when its source is a VM of the same account as its destination, or the fabric
/// itself: another node's overlay address (DNS, edge proxy, health checks) or a device of <c>form net join</c>
/// (devices are admin-only and join the whole fabric's network: they keep reaching every guest, as before this guard).
/// A DNAT'ed packet (<see cref="PortForwards"/>: a published port, public by intent) passes too. Everything else from
/// the mesh to the bridge is dropped: an address no VM holds, a VM whose account is unknown, a destination whose
/// account is unknown, anything not IPv4. Each node guards what enters its own bridge, so the check holds both ways.
/// <para>
/// What enters the bridge from anywhere else (the underlay: a neighbour on the host's LAN that routes the node's VM
/// subnet through the node; another bridge of the host) passes only as replies to connections the guests opened (their
/// egress NAT, <see cref="EgressNat"/>) or DNAT'ed (a published port); the fabric's ways in are the mesh and the node
/// itself (DNS, edge proxy, health checks are the node's own output, not forwarded). The bridge's own traffic routed back
/// onto it is <see cref="BridgeGuard"/>'s. This part is loaded with the bridge (<see cref="EnsureBridgeAsync"/>), on a
/// node without a mesh too, where it is the whole table.
/// </para>
/// <para>
/// Why a source address can be trusted: a guest sends only from its own address (<see cref="BridgeGuard"/> drops
/// anything else at its TAP), and WireGuard accepts from a peer only sources within that peer's allowed IPs (a node's
/// VM subnet, a device's /32), so no guest can pose as another node's guest, a node or a device.
/// </para>
/// <para>
/// Who holds which address comes from the cluster-wide VM knowledge (the DNS fabric feeder, which follows the VM event
/// streams and catalog), the nodes and devices from the mesh agent's sync; every change reloads the whole table in
/// one <c>nft -f</c> transaction. Until the first owner list arrives the table denies every VM: on a silo restart the
/// table the previous silo left is kept until then, so running guests are not cut meanwhile. The table stays when the
/// silo stops (like the bridge guard's): its VMs run on.
/// </para>
/// </summary>
public sealed class OverlayGuard(NodeIdentity node)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string? Mesh, string Bridge)? _target;
    private IReadOnlyDictionary<IPAddress, string>? _owners;
    private IReadOnlyList<IPAddress> _fabric = [];
    private bool _keepPrevious;
    private string? _loaded;

    /// <summary>The table: <c>formation_x</c> + 8 hex digits of the node id's hash (one per node on a host).</summary>
    public string Table => "formation_x" + HostNetwork.BridgeNameFor(node.NodeId)[3..];

    /// <summary>How many table loads this guard made (for tests: an unchanged ruleset is not loaded again).</summary>
    public int Loads { get; private set; }

    /// <summary>
    /// Guards what comes in on <paramref name="meshInterface"/> for <paramref name="bridge"/>: loaded at once, before the
    /// mesh has peers (or kept as a previous silo of this node left it, until the owners are known).
    /// </summary>
    public Task EnsureAsync(string meshInterface, string bridge, CancellationToken cancellationToken) =>
        TargetAsync(meshInterface, bridge, cancellationToken);

    /// <summary>
    /// Guards what enters <paramref name="bridge"/> from the underlay, when the bridge is made: on a node without a mesh
    /// (forwarding may be on for builds or the host's own reasons) that is all, and a mesh coming later only adds to it.
    /// </summary>
    public Task EnsureBridgeAsync(string bridge, CancellationToken cancellationToken) =>
        TargetAsync(null, bridge, cancellationToken);

    private async Task TargetAsync(string? meshInterface, string bridge, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_target is null && _owners is null)
            {
                _keepPrevious = (await HostNft.TablesAsync("inet", Table, cancellationToken)).Contains(Table);
            }

            if (meshInterface is not null || _target is not { Mesh: not null })
            {
                _target = (meshInterface, bridge);
            }

            await ApplyAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Replaces which account holds each VM address (every node's VMs; an empty account counts as unknown).</summary>
    public async Task SetOwnersAsync(IReadOnlyDictionary<IPAddress, string> owners, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _owners = owners.ToDictionary();
            _keepPrevious = false;
            await ApplyAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Replaces the fabric's own addresses that reach every guest: other nodes' overlay addresses, devices.</summary>
    public async Task SetFabricAsync(IEnumerable<IPAddress> addresses, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _fabric = [.. addresses.Distinct()];
            await ApplyAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        if (_target is not { } target || (_owners is null && _keepPrevious))
        {
            return;
        }

        var text = Ruleset(Table, target.Mesh, target.Bridge, _fabric, _owners ?? new Dictionary<IPAddress, string>());
        if (text == _loaded)
        {
            return;
        }

        await HostNft.LoadAsync(Table, text, cancellationToken);
        _loaded = text;
        Loads++;
    }

    /// <summary>The ruleset text (public for tests); without <paramref name="meshInterface"/>, only the underlay's part (no sets).</summary>
    public static string Ruleset(string table, string? meshInterface, string bridge, IEnumerable<IPAddress> fabric, IReadOnlyDictionary<IPAddress, string> owners)
    {
        var byAccount = owners
            .Where(o => o.Key.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !string.IsNullOrWhiteSpace(o.Value))
            .GroupBy(o => o.Value, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Select(o => o.Key).OrderBy(Sortable).ToList())
            .ToList();
        var text = new StringBuilder(HostNft.Replacing("inet", table));
        text.Append(CultureInfo.InvariantCulture, $"table inet {table} {{\n");
        if (meshInterface is not null)
        {
            text.Append("  set fabric {\n    type ipv4_addr\n").Append(Elements(fabric.Where(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork).Distinct().OrderBy(Sortable))).Append("  }\n");
            for (var a = 0; a < byAccount.Count; a++)
            {
                text.Append(CultureInfo.InvariantCulture, $"  set account_{a} {{\n    type ipv4_addr\n").Append(Elements(byAccount[a])).Append("  }\n");
            }
        }

        text.Append("  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
        if (meshInterface is null)
        {
            text.Append(CultureInfo.InvariantCulture, $"    iifname != \"{bridge}\" oifname \"{bridge}\" jump from_underlay\n  }}\n");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"    iifname \"{meshInterface}\" oifname \"{bridge}\" jump from_mesh\n");
            text.Append(CultureInfo.InvariantCulture, $"    iifname != {{ \"{meshInterface}\", \"{bridge}\" }} oifname \"{bridge}\" jump from_underlay\n  }}\n");
        }

        text.Append("  chain from_underlay {\n    ct state established,related accept\n    ct status dnat accept\n    drop\n  }\n");
        if (meshInterface is null)
        {
            return text.Append("}\n").ToString(); // the same text whoever owns what: owner changes load nothing
        }

        text.Append("  chain from_mesh {\n    meta nfproto != ipv4 drop\n    ct status dnat accept\n    ip saddr @fabric accept\n");
        if (byAccount.Count > 0)
        {
            // A source's account chain accepts only destinations of that account; falling out of it reaches the drop.
            var entries = byAccount.SelectMany((addresses, a) => addresses.Select(address => $"{address} : jump account_{a}"));
            text.Append("    ip saddr vmap { ").AppendJoin(", ", entries).Append(" }\n");
        }

        text.Append("    drop\n  }\n");
        for (var a = 0; a < byAccount.Count; a++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  chain account_{a} {{\n    ip daddr @account_{a} accept\n  }}\n");
        }

        return text.Append("}\n").ToString();
    }

    private static string Elements(IEnumerable<IPAddress> addresses)
    {
        var list = string.Join(", ", addresses);
        return list.Length == 0 ? "" : $"    elements = {{ {list} }}\n";
    }

    private static uint Sortable(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }
}
