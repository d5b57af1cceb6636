using Formation.Discovery;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.LocalApi;

/// <summary>The reads, answered by the grains.</summary>
public sealed class GrainReads(IGrainFactory grains) : IFormationReads
{
    public Task<IReadOnlyList<VmSummary>> ListVmsAsync(CancellationToken cancellationToken) =>
        grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();

    /// <summary>The scheduler's nodes, each marked <see cref="NodeStatus.Revoked"/> when every certificate it reported was revoked (<c>form node revoke</c>).</summary>
    public async Task<IReadOnlyList<NodeStatus>> ListNodesAsync(CancellationToken cancellationToken)
    {
        var nodes = grains.GetGrain<Scheduling.ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        var keys = grains.GetGrain<Identity.IAccountRegistryGrain>(GrainKeys.Cluster).ListNodeKeysAsync();
        await Task.WhenAll(nodes, keys);
        var revoked = keys.Result.GroupBy(k => k.NodeId)
            .Where(g => g.All(k => k.Revoked is not null))
            .ToDictionary(g => g.Key, g => g.Max(k => k.Revoked!.Value));
        return revoked.Count == 0 ? nodes.Result : [.. nodes.Result.Select(n => revoked.TryGetValue(n.NodeId, out var at) ? n with { Revoked = at } : n)];
    }

    public async Task<VmDetail> GetVmAsync(string idOrName, CancellationToken cancellationToken)
    {
        var vmRef = await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(idOrName);
        var grain = grains.GetGrain<IVmGrain>(vmRef.GrainKey);
        var vm = await grain.GetAsync();
        var events = await grain.GetEventsAsync();
        return new VmDetail(vm, events, await UsageAsync(vm));
    }

    public async Task<VmInfo> GetVmInfoAsync(string idOrName, CancellationToken cancellationToken)
    {
        var vmRef = await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(idOrName);
        return await grains.GetGrain<IVmGrain>(vmRef.GrainKey).GetAsync();
    }

    public async Task<VmInfo> WaitForVmAsync(string idOrName, VmState target, CancellationToken cancellationToken)
    {
        var vmRef = await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(idOrName);
        return await grains.GetGrain<IVmGrain>(vmRef.GrainKey).WaitForAsync(target, VmWaits.MaxPatience);
    }

    /// <summary>
    /// The VM's latest sample from its node's history. Usage only decorates the answer: a node that keeps none (metrics
    /// off, not sampled yet, node gone) leaves it out instead of failing the read.
    /// </summary>
    private async Task<Metrics.VmMetricsPoint?> UsageAsync(VmInfo vm)
    {
        if (string.IsNullOrEmpty(vm.NodeId))
        {
            return null;
        }

        try
        {
            return (await grains.GetGrain<Metrics.INodeMetricsGrain>(vm.NodeId).GetVmAsync(vm.Id, 1)).Latest;
        }
        catch (Errors.FormationException)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<PeerRow>> ListPeersAsync(CancellationToken cancellationToken)
    {
        var nodes = await grains.GetGrain<Scheduling.ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        var rows = new List<PeerRow>();
        foreach (var node in nodes.Where(n => n.Health == NodeHealth.Healthy && n.Info.PeerId.Length > 0))
        {
            try
            {
                rows.AddRange(await grains.GetGrain<INodePeersGrain>(node.NodeId).ListAsync());
            }
            catch (Errors.FormationException ex) when (ex.Kind == Errors.ErrorKind.NodeUnavailable)
            {
                // Stopped since its last heartbeat: it has no first-hand view to give.
            }
        }

        return rows;
    }
}
