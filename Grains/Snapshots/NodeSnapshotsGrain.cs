using Formation.Grains.Hosting;
using Formation.Grains.Placement;
using Formation.Snapshots;

namespace Formation.Grains.Snapshots;

/// <summary>A node's snapshot store, reached from anywhere in the cluster; runs on that node and asks its <see cref="ISnapshotHost"/>.</summary>
[HostAffinityPlacement]
public sealed class NodeSnapshotsGrain(ISnapshotHost host) : Grain, INodeSnapshotsGrain
{
    public Task<IReadOnlyList<SnapshotInfo>> ListAsync(string? vmId) => Task.FromResult(host.List(vmId));

    public Task<SnapshotInfo> DeleteAsync(string nameOrId) => host.DeleteAsync(nameOrId, CancellationToken.None);
}
