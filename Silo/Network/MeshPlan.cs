using System.Net;
using Formation.Networking;
using Formation.Nodes;

namespace Formation.Silo.Network;

/// <summary>Which peers a node's WireGuard interface should have, from the cluster's node records.</summary>
public static class MeshPlan
{
    /// <summary>
    /// Every other node that published a mesh identity and has not left (an unhealthy node stays: its VMs may still
    /// run and be reached), routed its VM subnet and the roaming addresses it holds (<see cref="Roaming"/>) as /32s
    /// (WireGuard and the kernel both take the longest prefix, so a /32 beats the subnet of the address's home node);
    /// plus the given devices. Ordered by name, so plans compare equal.
    /// </summary>
    public static IReadOnlyList<MeshPeer> Peers(string selfNodeId, IEnumerable<NodeStatus> nodes, IEnumerable<MeshPeer> devices)
    {
        var members = Members(nodes).ToList();
        var roaming = Roaming(members);
        var peers = members
            .Where(n => n.NodeId != selfNodeId)
            .Select(n => new MeshPeer(n.NodeId, n.Info.Mesh!.PublicKey, n.Info.Mesh.Endpoint,
                [n.Info.Mesh.Subnet, .. roaming.Where(r => r.Value == n.NodeId).Select(r => r.Key).OrderBy(Sortable).Select(a => a + "/32")]))
            .Concat(devices)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToList();

        // Two records with one key (a node re-keyed under another id) would fight over one peer: the first wins.
        return peers.DistinctBy(p => p.PublicKey, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Who holds each roaming address: of the nodes (not left, with a mesh) that claim it, the one with the latest claim
    /// (ties: the lower node id), so a VM's new host takes its address over while the old one still lists it. Only a VM
    /// address of some node's subnet can be claimed (not its gateway, the node's own overlay address; nothing outside).
    /// </summary>
    public static IReadOnlyDictionary<IPAddress, string> Roaming(IEnumerable<NodeStatus> nodes)
    {
        var members = Members(nodes).ToList();
        var subnets = members.Select(n => Ipv4Subnet.TryParse(n.Info.Mesh!.Subnet, out var s) ? s : (Ipv4Subnet?)null).OfType<Ipv4Subnet>().ToList();
        return members
            .SelectMany(n => (n.Info.Mesh!.Hosted ?? []).Select(h => (n.NodeId, Claim: h, Address: IPAddress.TryParse(h.Address, out var a) ? a : null)))
            .Where(c => c.Address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork } a
                && subnets.Any(s => s.Contains(a) && !s.Gateway.Equals(a)))
            .GroupBy(c => c.Address!)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(c => c.Claim.Since).ThenBy(c => c.NodeId, StringComparer.Ordinal).First().NodeId);
    }

    /// <summary>
    /// The addresses of <paramref name="subnet"/> (this node's) that another node holds now: this node routes them into the
    /// mesh instead of its bridge, and its guests may send to them (<see cref="BridgeGuard"/>).
    /// </summary>
    public static IReadOnlyList<IPAddress> Away(string selfNodeId, Ipv4Subnet subnet, IEnumerable<NodeStatus> nodes) =>
        Roaming(nodes).Where(r => r.Value != selfNodeId && subnet.Contains(r.Key)).Select(r => r.Key).OrderBy(Sortable).ToList();

    private static IEnumerable<NodeStatus> Members(IEnumerable<NodeStatus> nodes) =>
        nodes.Where(n => n.Health != NodeHealth.Left && n.Info.Mesh is not null);

    private static uint Sortable(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }
}
