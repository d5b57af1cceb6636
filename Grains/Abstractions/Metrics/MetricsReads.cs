using Formation.Nodes;
using Formation.Scheduling;

namespace Formation.Metrics;

/// <summary>
/// The latest samples of nodes and VMs, from each healthy node's <see cref="INodeMetricsGrain"/>: what <c>form top</c>,
/// <c>form vm top</c> and the dashboard show.
/// </summary>
public static class MetricsReads
{
    /// <summary>A node with its latest sample; null where it has none (not healthy, metrics off, no sample yet).</summary>
    public sealed record NodeTop(NodeStatus Node, NodeMetricsPoint? Latest);

    public static async Task<IReadOnlyList<NodeTop>> NodesAsync(IGrainFactory grains)
    {
        var nodes = await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        var rows = await Task.WhenAll(nodes.Select(async n => new NodeTop(n, n.Health == NodeHealth.Healthy
            ? await Quietly<NodeMetricsPoint?>(async () => (await grains.GetGrain<INodeMetricsGrain>(n.NodeId).GetNodeAsync(1)).Latest, null)
            : null)));
        return rows;
    }

    /// <summary>Every VM of every healthy node with its latest sample, busiest first.</summary>
    public static async Task<IReadOnlyList<VmMetrics>> VmsAsync(IGrainFactory grains)
    {
        var nodes = await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        var perNode = await Task.WhenAll(nodes.Where(n => n.Health == NodeHealth.Healthy)
            .Select(n => Quietly(() => grains.GetGrain<INodeMetricsGrain>(n.NodeId).GetVmsAsync(1), [])));
        return [.. perNode.SelectMany(v => v).OrderByDescending(v => v.Latest?.CpuUtilization ?? 0).ThenBy(v => v.Name, StringComparer.Ordinal)];
    }

    /// <summary>One VM (id or name) with its last <paramref name="count"/> samples from its node.</summary>
    public static async Task<VmMetrics> VmAsync(IGrainFactory grains, string idOrName, int count)
    {
        var vmRef = await grains.GetGrain<Vms.IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(idOrName);
        return await grains.GetGrain<INodeMetricsGrain>(GrainKeys.NodeOf(vmRef.GrainKey)).GetVmAsync(vmRef.Id, count);
    }

    /// <summary>A node that keeps no metrics or left since the list was made shows none instead of failing the whole view.</summary>
    private static async Task<T> Quietly<T>(Func<Task<T>> read, T none)
    {
        try
        {
            return await read();
        }
        catch (Errors.FormationException)
        {
            return none;
        }
    }
}
