using Formation.Errors;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Vms;

namespace Formation.Snapshots;

/// <summary>
/// Snapshots across the cluster, as the caller may see them (each node's store filters by account): every healthy
/// node's list, and one snapshot named by name or id. Used by <c>form snapshot</c>, the HTTP API and account deletion.
/// </summary>
public static class SnapshotReads
{
    /// <summary>Every healthy node's snapshots (of VM <paramref name="vmId"/> only, when given), newest first. A node whose silo is down is skipped: its snapshots stay on its disk.</summary>
    public static async Task<IReadOnlyList<SnapshotInfo>> ListAllAsync(IGrainFactory grains, string? vmId = null)
    {
        var nodes = await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        var lists = await Task.WhenAll(nodes.Where(n => n.Health == NodeHealth.Healthy)
            .Select(n => grains.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore(n.NodeId)).ListAsync(vmId)));
        return [.. lists.SelectMany(l => l).OrderByDescending(s => s.CreatedAt)];
    }

    /// <summary>The snapshots of the VM named <paramref name="vm"/> (name or id), or every one when it is null.</summary>
    public static async Task<IReadOnlyList<SnapshotInfo>> ListAsync(IGrainFactory grains, string? vm)
    {
        var vmId = vm is null ? null : (await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(vm)).Id;
        return await ListAllAsync(grains, vmId);
    }

    /// <summary>The one snapshot <paramref name="wanted"/> (a name or an id prefix) names; NotFound or Invalid (ambiguous) otherwise.</summary>
    public static async Task<SnapshotInfo> FindAsync(IGrainFactory grains, string wanted)
    {
        var matches = (await ListAllAsync(grains)).Where(s => s.Matches(wanted)).ToArray();
        return matches.Length switch
        {
            0 => throw FormationException.NotFound($"there is no snapshot '{wanted}'; `form snapshot list` shows them."),
            1 => matches[0],
            _ => throw FormationException.Invalid(
                $"'{wanted}' names {matches.Length} snapshots ({string.Join(", ", matches.Select(m => $"{m.ShortId} on {m.NodeId}"))}); give the id."),
        };
    }

    /// <summary>Deletes the snapshot <paramref name="wanted"/> names from its node.</summary>
    public static async Task<SnapshotInfo> DeleteAsync(IGrainFactory grains, string wanted)
    {
        var target = await FindAsync(grains, wanted);
        return await grains.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore(target.NodeId)).DeleteAsync(target.Id);
    }
}
