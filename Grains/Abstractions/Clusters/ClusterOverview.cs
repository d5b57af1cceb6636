using Formation.Nodes;
using Formation.Scheduling;
using Formation.Vms;

namespace Formation.Clusters;

/// <summary>
/// The cluster as a whole (<c>form cluster status</c>, the dashboard's overview): active silos, node health, capacity of
/// the healthy nodes, VM counts by state, and how the nodes keep their state.
/// </summary>
public sealed record ClusterOverview(
    IReadOnlyList<SiloRow> Silos,
    int Nodes,
    int NodesHealthy,
    int NodesUnhealthy,
    NodeCapacity Allocatable,
    NodeCapacity Reserved,
    int Vms,
    IReadOnlyDictionary<string, int> VmsByState,
    IReadOnlyList<string> StorageModes)
{
    /// <summary>Asks membership, the scheduler and the VM catalog.</summary>
    public static async Task<ClusterOverview> LoadAsync(IGrainFactory grains)
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true);
        var nodes = await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        var vms = await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
        return From(
            hosts.Select(h => new SiloRow(h.SiloName, h.SiloAddress.ToString(), h.Status.ToString(), h.StartTime)).OrderBy(s => s.Name).ToList(),
            nodes,
            vms);
    }

    /// <summary>The overview of what was read (pure; the dashboard recomputes it when nodes or VMs change).</summary>
    public static ClusterOverview From(IReadOnlyList<SiloRow> silos, IReadOnlyList<NodeStatus> nodes, IReadOnlyCollection<VmSummary> vms)
    {
        var healthy = nodes.Where(n => n.Health == NodeHealth.Healthy).ToList();
        return new ClusterOverview(
            silos,
            nodes.Count,
            healthy.Count,
            nodes.Count(n => n.Health == NodeHealth.Unhealthy),
            healthy.Aggregate(NodeCapacity.Zero, (sum, n) => sum + n.Info.Allocatable),
            healthy.Aggregate(NodeCapacity.Zero, (sum, n) => sum + n.Reserved),
            vms.Count,
            vms.GroupBy(v => v.State).OrderBy(g => g.Key).ToDictionary(g => g.Key.ToString(), g => g.Count()),
            [.. nodes.Select(n => n.Info.StorageMode).Where(m => m.Length > 0).Distinct().Order()]);
    }
}
