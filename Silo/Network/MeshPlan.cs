using Formation.Nodes;

namespace Formation.Silo.Network;

/// <summary>Which peers a node's WireGuard interface should have, from the cluster's node records.</summary>
public static class MeshPlan
{
    /// <summary>
    /// Every other node that published a mesh identity and has not left (an unhealthy node stays: its VMs may still
    /// run and be reached), routed its VM subnet; plus the given devices. Ordered by name, so plans compare equal.
    /// </summary>
    public static IReadOnlyList<MeshPeer> Peers(string selfNodeId, IEnumerable<NodeStatus> nodes, IEnumerable<MeshPeer> devices)
    {
        var peers = nodes
            .Where(n => n.NodeId != selfNodeId && n.Health != NodeHealth.Left && n.Info.Mesh is not null)
            .Select(n => new MeshPeer(n.NodeId, n.Info.Mesh!.PublicKey, n.Info.Mesh.Endpoint, [n.Info.Mesh.Subnet]))
            .Concat(devices)
            .OrderBy(p => p.Name, StringComparer.Ordinal)
            .ToList();

        // Two records with one key (a node re-keyed under another id) would fight over one peer: the first wins.
        return peers.DistinctBy(p => p.PublicKey, StringComparer.Ordinal).ToList();
    }
}
