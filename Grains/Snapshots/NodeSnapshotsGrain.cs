using Formation.Grains.Hosting;
using Formation.Grains.Placement;
using Formation.Identity;
using Formation.Snapshots;

namespace Formation.Grains.Snapshots;

/// <summary>
/// A node's snapshot store, reached from anywhere in the cluster; runs on that node and asks its <see cref="ISnapshotHost"/>.
/// A snapshot belongs to the account of the VM it was taken of: callers list and delete only those they may act on,
/// and another account's snapshot is as missing as one the node does not hold (so a clone cannot start from it either).
/// </summary>
[HostAffinityPlacement]
public sealed class NodeSnapshotsGrain(ISnapshotHost host) : Grain, INodeSnapshotsGrain
{
    public Task<IReadOnlyList<SnapshotInfo>> ListAsync(string? vmId)
    {
        var caller = CallerContext.CurrentOrSystem;
        return Task.FromResult<IReadOnlyList<SnapshotInfo>>([.. host.List(vmId).Where(s => caller.MayAct(s.Account))]);
    }

    public Task<SnapshotInfo> DeleteAsync(string nameOrId)
    {
        var caller = CallerContext.CurrentOrSystem;
        var matches = host.List(null).Where(s => s.Matches(nameOrId)).ToArray();
        var visible = matches.Where(s => caller.MayAct(s.Account)).ToArray();
        return visible.Length switch
        {
            0 when matches.Length > 0 => throw SnapshotKeys.Missing(nameOrId),
            1 when matches.Length > 1 => host.DeleteAsync(visible[0].Id, CancellationToken.None), // by id: the name is another account's too
            > 1 when matches.Length > visible.Length => throw Errors.FormationException.Invalid(
                $"'{nameOrId}' names {visible.Length} snapshots ({string.Join(", ", visible.Select(m => m.ShortId))}); use more of the id."),
            _ => host.DeleteAsync(nameOrId, CancellationToken.None),
        };
    }
}
