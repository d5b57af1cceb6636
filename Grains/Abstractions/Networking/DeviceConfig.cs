using System.Text;
using Formation.Nodes;

namespace Formation.Networking;

/// <summary>A device's WireGuard configuration in <c>wg-quick</c> format: its key and address, every mesh node a peer.</summary>
public static class DeviceConfig
{
    public static string Render(string privateKey, NetDevice device, IEnumerable<NodeStatus> nodes)
    {
        var text = new StringBuilder()
            .Append("# Formation mesh device ").Append(device.Name).Append('\n')
            .Append("[Interface]\n")
            .Append("PrivateKey = ").Append(privateKey).Append('\n')
            .Append("Address = ").Append(device.Address).Append("/32\n");
        foreach (var node in MeshNodes(nodes))
        {
            var mesh = node.Info.Mesh!;
            text.Append('\n')
                .Append("# node ").Append(node.NodeId).Append('\n')
                .Append("[Peer]\n")
                .Append("PublicKey = ").Append(mesh.PublicKey).Append('\n')
                .Append("Endpoint = ").Append(mesh.Endpoint).Append('\n')
                .Append("AllowedIPs = ").Append(mesh.Subnet).Append('\n')
                .Append("PersistentKeepalive = 25\n");
        }

        return text.ToString();
    }

    /// <summary>The nodes a device peers with: every node with a mesh identity that has not left.</summary>
    public static IReadOnlyList<NodeStatus> MeshNodes(IEnumerable<NodeStatus> nodes) =>
        nodes.Where(n => n.Info.Mesh is not null && n.Health != NodeHealth.Left).OrderBy(n => n.NodeId, StringComparer.Ordinal).ToList();
}
