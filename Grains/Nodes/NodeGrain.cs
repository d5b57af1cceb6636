using Formation.Grains.Common;
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

        store.State.Info = info;
        await store.WriteStateAsync();
        await GrainFactory.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).RegisterNodeAsync(info);
    }

    public Task<NodeInfo?> GetAsync() => Task.FromResult(store.State.Info);
}
