using Formation.Errors;
using Formation.Nodes;
using Formation.Scheduling;

namespace Formation.Grains.Scheduling;

/// <summary>
/// Chooses the node that builds an image (pure): the requested node when it is healthy; else, among healthy nodes,
/// one that already holds the image (its layer cache makes the build cheap), then the client's gateway node, then
/// the one with the most free disk (ties by node id).
/// </summary>
public static class BuildPlacementPolicy
{
    public static string Choose(IReadOnlyList<NodeStatus> nodes, BuildPlacementRequest request, IReadOnlyCollection<string> holders)
    {
        if (request.Node is { } requested)
        {
            var chosen = nodes.FirstOrDefault(n => n.NodeId == requested)
                ?? throw FormationException.NotFound($"No node '{requested}'. `form node list` shows the nodes.");
            return chosen.Health == NodeHealth.Healthy
                ? chosen.NodeId
                : throw new FormationException(ErrorKind.NodeUnavailable, $"Node '{requested}' is {chosen.Health}; build on a healthy node (`form node list`).");
        }

        var best = nodes
            .Where(n => n.Health == NodeHealth.Healthy)
            .OrderByDescending(n => holders.Contains(n.NodeId))
            .ThenByDescending(n => request.Gateway is not null && n.Info.GatewayEndpoint == request.Gateway)
            .ThenByDescending(n => n.Free.DiskGiB)
            .ThenBy(n => n.NodeId, StringComparer.Ordinal)
            .FirstOrDefault();
        return best?.NodeId
            ?? throw new FormationException(ErrorKind.NodeUnavailable, "No healthy node to build on; `form node list` shows node health.");
    }
}
