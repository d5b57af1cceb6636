using Formation.Grains.Common;
using Formation.Grains.Hosting;
using Formation.Grains.Placement;
using Formation.Nodes;
using Formation.Scheduling;

namespace Formation.Grains.Nodes;

/// <summary>A host, on its own silo. Keeps what the host reported and announces it to the scheduler.</summary>
[HostAffinityPlacement]
public sealed class NodeGrain(
    [PersistentState("node", StorageNames.Formation)] IPersistentState<NodeGrainState> store) : Grain, INodeGrain
{
    public async Task RegisterAsync(NodeInfo info)
    {
        if (info.NodeId != this.GetPrimaryKeyString())
        {
            throw Errors.FormationException.Invalid($"Node {this.GetPrimaryKeyString()} cannot register as '{info.NodeId}'.");
        }

        // The mesh agent publishes the mesh identity on its own schedule; a registration without one keeps it.
        store.State.Info = info.Mesh is null && store.State.Mesh is { } mesh ? info with { Mesh = mesh } : info;
        await store.WriteStateAsync();
        await GrainFactory.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).RegisterNodeAsync(store.State.Info);
    }

    public async Task SetMeshAsync(NodeMesh mesh)
    {
        store.State.Mesh = mesh;
        if (store.State.Info is { } info)
        {
            store.State.Info = info with { Mesh = mesh };
        }

        await store.WriteStateAsync();
        if (store.State.Info is { } registered)
        {
            await GrainFactory.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).RegisterNodeAsync(registered);
        }
    }

    /// <summary>
    /// Started, not awaited, and off the grain's turn: a sync may publish this node's claims through this very grain
    /// (<see cref="SetMeshAsync"/>), which would wait for this call to end.
    /// </summary>
    public Task SyncMeshAsync()
    {
        if (ServiceProvider.GetService(typeof(IMeshHost)) is IMeshHost mesh)
        {
            _ = Task.Run(() => mesh.SyncNowAsync(CancellationToken.None));
        }

        return Task.CompletedTask;
    }

    public Task<NodeInfo?> GetAsync() => Task.FromResult(store.State.Info);
}
