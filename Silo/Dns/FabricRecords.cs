using System.Net;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Silo.Dns;

/// <summary>The zone's names for the fabric's VMs and nodes, as pure functions of what the cluster reports.</summary>
public static class FabricRecords
{
    /// <summary>The label under which nodes are named: <c>&lt;node&gt;.node.fog</c>.</summary>
    public const string NodeLabel = Formation.Identity.AccountNames.Nodes;

    /// <summary>A VM has a name in the zone while its guest is up: Running, or Paused (it keeps its address).</summary>
    public static bool Answers(VmState state) => state is VmState.Running or VmState.Paused;

    /// <summary>A node's name relative to the zone.</summary>
    public static string NodeName(string nodeId) => $"{nodeId}.{NodeLabel}";

    /// <summary><c>&lt;vm&gt;</c> → its address, for every VM that answers and has an address. A name two entries claim
    /// (a deleted VM's name taken again before its entry is gone) goes to the newer.</summary>
    public static Dictionary<string, IReadOnlyList<ZoneRecord>> Vms(IEnumerable<VmEntry> vms)
    {
        var chosen = new Dictionary<string, VmEntry>(StringComparer.Ordinal);
        foreach (var vm in vms)
        {
            if (!Answers(vm.State) || !IPAddress.TryParse(vm.Address, out _) || VmName(vm) is not { } name)
            {
                continue;
            }

            if (!chosen.TryGetValue(name, out var other) || other.UpdatedAt < vm.UpdatedAt)
            {
                chosen[name] = vm;
            }
        }

        return chosen.ToDictionary(c => c.Key, c => DnsTable.Addresses([IPAddress.Parse(c.Value.Address!)]), StringComparer.Ordinal);
    }

    /// <summary>
    /// A VM's name relative to the zone (<see cref="ZoneNames.Owned"/>): <c>&lt;vm&gt;</c> for the admin account's VMs (as
    /// before accounts existed), and <c>&lt;vm&gt;.&lt;account&gt;</c> for every other account's, so equal names in two
    /// accounts never claim the same name and no account can take over another's. Null (no name) when a label is not a
    /// DNS label, or for an account called like the node label (its names would mix with the nodes').
    /// </summary>
    public static string? VmName(VmEntry vm) => ZoneNames.Owned(vm.Account, vm.Name);

    /// <summary>
    /// Which account holds each VM address: every VM that has an address and is not gone (a booting guest asks before it
    /// is Running). An address two entries claim (a deleted VM's address given again before its entry is gone) goes to
    /// the newer.
    /// </summary>
    public static Dictionary<IPAddress, string> Owners(IEnumerable<VmEntry> vms)
    {
        var chosen = new Dictionary<IPAddress, VmEntry>();
        foreach (var vm in vms)
        {
            if (vm.State is VmState.Deleted or VmState.Deleting || !IPAddress.TryParse(vm.Address, out var address))
            {
                continue;
            }

            if (!chosen.TryGetValue(address, out var other) || other.UpdatedAt < vm.UpdatedAt)
            {
                chosen[address] = vm;
            }
        }

        return chosen.ToDictionary(c => c.Key, c => c.Value.Account);
    }

    /// <summary>The nodes' own addresses in the guest ranges: overlay addresses and their VM subnets' gateways.</summary>
    public static IEnumerable<IPAddress> NodeAddresses(IEnumerable<NodeStatus> nodes)
    {
        foreach (var node in nodes)
        {
            if (node.Info.Mesh is not { } mesh)
            {
                continue;
            }

            if (IPAddress.TryParse(mesh.OverlayAddress, out var overlay))
            {
                yield return overlay;
            }

            if (Formation.Networking.Ipv4Subnet.TryParse(mesh.Subnet, out var subnet))
            {
                yield return subnet.Gateway;
            }
        }
    }

    /// <summary><c>&lt;node&gt;.node</c> → <see cref="NodeAddress"/>, for every node that has not left.</summary>
    public static Dictionary<string, IReadOnlyList<ZoneRecord>> Nodes(IEnumerable<NodeStatus> nodes)
    {
        var records = new Dictionary<string, IReadOnlyList<ZoneRecord>>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (node.Health != NodeHealth.Left && Names.IsDnsLabel(node.NodeId) && NodeAddress(node.Info) is { } address)
            {
                records[NodeName(node.NodeId)] = DnsTable.Addresses([address]);
            }
        }

        return records;
    }

    /// <summary>
    /// Where a node is reached: its overlay address when it is in the mesh (every guest and node routes to it), else the
    /// host address its silo advertises.
    /// </summary>
    public static IPAddress? NodeAddress(NodeInfo node)
    {
        if (node.Mesh is { } mesh && IPAddress.TryParse(mesh.OverlayAddress, out var overlay))
        {
            return overlay;
        }

        return UnderlayAddress(node);
    }

    /// <summary>The host address a node's silo advertises (<c>--advertise</c>): where the host itself is reached, outside the overlay.</summary>
    public static IPAddress? UnderlayAddress(NodeInfo node)
    {
        var endpoint = node.SiloEndpoint;
        var colon = endpoint.LastIndexOf(':');
        var host = (colon > 0 ? endpoint[..colon] : endpoint).Trim('[', ']');
        return IPAddress.TryParse(host, out var underlay) ? underlay : null;
    }
}
