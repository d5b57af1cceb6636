using Formation.Errors;
using Formation.Nodes;
using Formation.Scheduling;

namespace Formation.Images;

/// <summary>Which node builds an image: the one asked for (it must be healthy), else the node of the client's gateway,
/// else the healthy node with the most free disk.</summary>
public static class BuildNodes
{
    public static async Task<string> ChooseAsync(IGrainFactory grains, string? requested, string? gateway)
    {
        var nodes = await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        return Choose(nodes, requested, gateway);
    }

    public static string Choose(IReadOnlyList<NodeStatus> nodes, string? requested, string? gateway)
    {
        var healthy = nodes.Where(n => n.Health == NodeHealth.Healthy).ToList();
        if (requested is not null)
        {
            var chosen = nodes.FirstOrDefault(n => n.NodeId == requested)
                ?? throw FormationException.NotFound($"No node '{requested}'. `form node list` shows the nodes.");
            return chosen.Health == NodeHealth.Healthy
                ? chosen.NodeId
                : throw new FormationException(ErrorKind.NodeUnavailable, $"Node '{requested}' is {chosen.Health}; build on a healthy node (`form node list`).");
        }

        if (healthy.Count == 0)
        {
            throw new FormationException(ErrorKind.NodeUnavailable, "No healthy node to build on; `form node list` shows node health.");
        }

        return (healthy.FirstOrDefault(n => gateway is not null && n.Info.GatewayEndpoint == gateway) ?? healthy.OrderByDescending(n => n.Free.DiskGiB).First()).NodeId;
    }
}
