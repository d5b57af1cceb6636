using System.Globalization;
using System.Net;
using System.Text;
using Formation.Networking;
using Formation.Silo.Platform;

namespace Formation.Silo.Network;

/// <summary>
/// What a guest may put on the node's bridge: an nftables <c>bridge</c> table of this node (<c>formation_g</c> + 8 hex
/// digits of the node id's hash) that lets each VM's TAP send only frames with its own MAC, IPv4 from its own address,
/// and ARP claiming only its own MAC and address (nothing else: no IPv6, VLANs or other ether types — guests get one
/// static IPv4 address on the kernel command line, no DHCP, no IPv6), and keeps accounts apart on the bridge: a
/// guest reaches the gateway (the node: DNS, edge proxy, egress) and its own account's guests, never another
/// account's, neither switched (the forward hook, per output port) nor routed back through the node (the destination
/// address is checked on the way in). Admin VMs are an account like any other here. Replaced atomically on every change.
/// What other nodes' guests reach through the mesh is <see cref="OverlayGuard"/>'s; the frames of this table are what
/// make a guest's source address worth checking there.
/// <para>
/// Roaming addresses (a VM that moved here keeps its home node's address, prefix and gateway): its entry sends only as
/// that address; what is "on this bridge" for every port's destination check is the bridge's subnet plus the roaming
/// addresses it hosts, so accounts stay apart for them too; a roaming port may ARP for its home subnet, which the node
/// answers by proxy ARP only for addresses it routes elsewhere. Addresses of the bridge's subnet hosted by another node
/// (<see cref="SetAwayAsync"/>) are open to every port: the kernel routes them into the mesh.
/// </para>
/// <para>
/// Fail closed: the node's TAPs carry the node's link group (<see cref="LinkGroupFor"/>), set in the same <c>ip</c>
/// batch that makes the TAP, before it joins the bridge; a frame from a port of that group that has no entry is
/// dropped. Why a link group: the bridge of the input port (<c>meta ibrname</c>) needs the kernel's
/// <c>NFT_BRIDGE_META</c>, which not every kernel has (this project's development machine has not); a name prefix
/// (<c>ft*</c>) is shared by every silo of a host (tests, demos), so one node's table would cut another node's
/// guests, and anything else so named would be cut or, worse, a gap left open by a renamed TAP; the group is per node
/// and belongs to the TAP from its creation.
/// </para>
/// </summary>
public sealed class BridgeGuard(NodeIdentity node)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, GuardedPort> _ports = new(StringComparer.Ordinal);
    private Ipv4Subnet? _bridge;
    private IReadOnlyList<IPAddress> _away = [];

    /// <summary>The table: <c>formation_g</c> + 8 hex digits of the node id's hash (one per node on a host).</summary>
    public string Table => "formation_g" + HostNetwork.BridgeNameFor(node.NodeId)[3..];

    /// <summary>The link group of this node's TAPs.</summary>
    public uint LinkGroup => LinkGroupFor(node.NodeId);

    /// <summary>A link group per node, from the node id's hash: never 0 (the default group of every link).</summary>
    public static uint LinkGroupFor(string nodeId) =>
        1 + uint.Parse(HostNetwork.BridgeNameFor(nodeId)[3..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) % 0x7ffffffe;

    /// <summary>The ports the table lets send (for tests and diagnostics).</summary>
    public IReadOnlyCollection<string> Taps
    {
        get
        {
            lock (_ports)
            {
                return [.. _ports.Keys];
            }
        }
    }

    /// <summary>Loads the table as it stands (no port yet: every TAP of the node sends nothing) for the bridge's subnet.</summary>
    public Task EnsureAsync(Ipv4Subnet bridge, CancellationToken cancellationToken)
    {
        _bridge = bridge;
        return ChangeAsync(null, cancellationToken);
    }

    /// <summary>The addresses of the bridge's subnet that another node hosts now (roaming VMs); loaded when they changed.</summary>
    public Task SetAwayAsync(IReadOnlyList<IPAddress> away, CancellationToken cancellationToken)
    {
        if (away.SequenceEqual(_away))
        {
            return Task.CompletedTask;
        }

        _away = [.. away];
        return ChangeAsync(null, cancellationToken);
    }

    /// <summary>Lets the VM's TAP send as <paramref name="network"/> says, for <paramref name="account"/> (replacing what it had).</summary>
    public Task AdmitAsync(VmNetwork network, string account, CancellationToken cancellationToken) =>
        ChangeAsync(ports => ports[network.Tap] = new GuardedPort(network, account), cancellationToken);

    /// <summary>Takes the TAP's entry away: from then on it sends nothing (if it still exists).</summary>
    public Task RemoveAsync(string tap, CancellationToken cancellationToken) =>
        ChangeAsync(ports => ports.Remove(tap), cancellationToken);

    private async Task ChangeAsync(Action<Dictionary<string, GuardedPort>>? change, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            GuardedPort[] ports;
            lock (_ports)
            {
                change?.Invoke(_ports);
                ports = [.. _ports.Values];
            }

            await HostNft.LoadAsync(Table, Ruleset(Table, LinkGroup, ports, _bridge, _away), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The ruleset text (public for tests).</summary>
    /// <param name="bridge">The bridge's own subnet; null: each port's (from its address and prefix), as before roaming.</param>
    /// <param name="away">Addresses of the bridge's subnet that live on another node now: every port may send (and ARP) to them.</param>
    public static string Ruleset(string table, uint linkGroup, IEnumerable<GuardedPort> ports, Ipv4Subnet? bridge = null, IEnumerable<IPAddress>? away = null)
    {
        var sorted = ports.OrderBy(p => p.Network.Tap, StringComparer.Ordinal).ToList();
        var accounts = sorted.Select(p => p.Account).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var gone = (away ?? []).Select(a => a.ToString()).ToList();
        var text = new StringBuilder(HostNft.Replacing("bridge", table));
        text.Append(CultureInfo.InvariantCulture, $"table bridge {table} {{\n");

        // Frames entering the bridge from one of the node's ports: each port's own checks, or nothing.
        text.Append("  chain prerouting {\n    type filter hook prerouting priority filter; policy accept;\n");
        text.Append(CultureInfo.InvariantCulture, $"    meta iifgroup != {linkGroup} accept\n");
        if (sorted.Count > 0)
        {
            text.Append("    iifname vmap { ").AppendJoin(", ", sorted.Select((p, i) => $"\"{p.Network.Tap}\" : jump port_{i}")).Append(" }\n");
        }

        text.Append("    drop\n  }\n");
        for (var i = 0; i < sorted.Count; i++)
        {
            var port = sorted[i];
            var net = port.Network;
            var own = Ipv4Subnet.Parse($"{net.Address}/{net.PrefixLength}");
            var subnet = bridge ?? own;

            // What lives on this bridge: its subnet and the roaming guests it hosts (addresses of other nodes' subnets).
            var visiting = sorted.Select(p => p.Network.Address).Where(a => !subnet.Contains(IPAddress.Parse(a))).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var local = visiting.Count == 0 ? subnet.ToString() : $"{{ {string.Join(", ", visiting.Prepend(subnet.ToString()))} }}";
            var reachable = sorted.Where(p => p.Account == port.Account).Select(p => p.Network.Address)
                .Append(subnet.Gateway.ToString()).Append(net.Gateway).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var passes = string.Join(", ", reachable.Concat(gone).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));

            // A roaming guest (restored with its home subnet's prefix) takes every address of that subnet for on-link
            // and asks for it by ARP; the node answers for those it routes elsewhere (proxy ARP), not for this bridge's.
            var asks = own == subnet ? passes
                : string.Join(", ", reachable.Concat(gone).Where(a => !own.Contains(IPAddress.Parse(a))).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Prepend(own.ToString()));
            text.Append(CultureInfo.InvariantCulture, $"  chain port_{i} {{\n");
            text.Append(CultureInfo.InvariantCulture, $"    ether saddr != {net.Mac} drop\n");
            text.Append(CultureInfo.InvariantCulture, $"    ether type ip ip saddr != {net.Address} drop\n");
            text.Append(CultureInfo.InvariantCulture, $"    ether type ip ip daddr {local} ip daddr != {{ {passes} }} drop\n");
            text.Append("    ether type ip ip daddr 224.0.0.0/3 drop\n"); // multicast, reserved, 255.255.255.255: they would reach every port
            text.Append("    ether type ip accept\n");
            text.Append(CultureInfo.InvariantCulture,
                $"    ether type arp arp htype 1 arp ptype ip arp hlen 6 arp plen 4 arp saddr ether {net.Mac} arp saddr ip {net.Address} arp daddr ip {{ {asks} }} accept\n");
            text.Append("    drop\n  }\n");
        }

        // Frames switched from one port to another (per output port, broadcasts included): only within an account.
        text.Append("  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
        text.Append(CultureInfo.InvariantCulture, $"    meta iifgroup != {linkGroup} accept\n");
        if (sorted.Count > 0)
        {
            text.Append("    iifname vmap { ").AppendJoin(", ", sorted.Select(p => $"\"{p.Network.Tap}\" : jump account_{accounts.IndexOf(p.Account)}")).Append(" }\n");
        }

        text.Append("    drop\n  }\n");
        for (var a = 0; a < accounts.Count; a++)
        {
            var taps = string.Join(", ", sorted.Where(p => p.Account == accounts[a]).Select(p => $"\"{p.Network.Tap}\""));
            text.Append(CultureInfo.InvariantCulture, $"  chain account_{a} {{\n    oifname {{ {taps} }} accept\n    drop\n  }}\n");
        }

        return text.Append("}\n").ToString();
    }
}
