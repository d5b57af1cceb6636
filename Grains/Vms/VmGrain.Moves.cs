using Formation.Errors;
using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// Migration's steps on the two nodes, driven by the catalog (<see cref="VmCatalogGrain"/>): the old node saves the VM
/// (a snapshot, the VM stopped and marked as moving), the new node's grain, under the same VM id, takes the VM's spec,
/// owner, address and history and restores the copied snapshot; then the old node lets go of it, or, when the new node
/// failed, restores it where it was. A grain key names its node, so the VM's identity is its id, not its grain.
/// </summary>
public sealed partial class VmGrain
{
    /// <summary>A move whose driver vanished (its silo died) stops holding the VM after this long.</summary>
    internal static readonly TimeSpan MoveDeadline = TimeSpan.FromMinutes(10);

    public async Task<SnapshotInfo> MoveOutAsync(string toNode)
    {
        RequireExists();
        RequireSettled();
        RequireState("migrate", VmState.Running, VmState.Paused);
        var name = SnapshotKeys.RequireName($"migrate-{VmId[3..]}-{clock.GetUtcNow().UtcDateTime:yyyyMMddHHmmss}");
        S.MovingTo = toNode;
        S.MovingSince = clock.GetUtcNow();
        try
        {
            var snapshot = await SnapshotAsync(name, stop: true);
            S.Reason = $"migrating to node {toNode}: its state is saved, the new node restores it";
            await store.WriteStateAsync();
            PublishSummary();
            return snapshot;
        }
        catch
        {
            S.MovingTo = null;
            await store.WriteStateAsync();
            throw;
        }
    }

    public async Task<VmInfo> MoveInAsync(VmArrival arrival)
    {
        if (S.Exists)
        {
            throw FormationException.Conflict($"VM {VmId} already exists on node {NodeId}; it cannot move in again.");
        }

        var now = clock.GetUtcNow();
        store.State = new VmGrainState
        {
            Spec = arrival.Spec,
            State = VmState.Pending,
            CreatedAt = arrival.CreatedAt,
            UpdatedAt = now,
            Address = arrival.Address,
            HypervisorDriver = host.DriverName,
            Owner = arrival.Owner,
            Events = [.. arrival.Events],
        };
        await TransitionAsync(VmState.Scheduled, $"migrating from node {arrival.FromNode}", persist: false);
        await TransitionAsync(VmState.Provisioning, $"restoring on node {NodeId} what node {arrival.FromNode} saved");
        try
        {
            await host.RestoreAsync(Info(), arrival.SnapshotId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            await FailAsync("restore after migration", ex);
            throw ex is FormationException ? ex : new FormationException(ErrorKind.HostFailure,
                $"node {NodeId} could not restore VM {VmId} from node {arrival.FromNode}'s snapshot: {ex.Message}");
        }

        return Info();
    }

    public async Task MovedOutAsync()
    {
        if (!S.Exists || S.MovingTo is not { } target)
        {
            return;
        }

        await host.DeleteAsync(VmId, keepAddress: true, CancellationToken.None);
        await TransitionAsync(VmState.Deleting, $"migrated to node {target}");
        await TransitionAsync(VmState.Deleted, $"migrated to node {target}");
        await store.ClearStateAsync();
        DeactivateOnIdle();
    }

    public async Task AbandonMoveInAsync()
    {
        if (!S.Exists)
        {
            return;
        }

        await host.DeleteAsync(VmId, keepAddress: true, CancellationToken.None);
        S.State = VmState.Deleted; // never the VM's row in the catalog: nothing to tell it
        await store.ClearStateAsync();
        DeactivateOnIdle();
    }

    public async Task<VmInfo> AbortMoveOutAsync(string snapshotId)
    {
        if (!S.Exists || S.MovingTo is not { } target)
        {
            return Info();
        }

        S.MovingTo = null;
        await host.RestoreAsync(Info(), snapshotId, CancellationToken.None);
        await TransitionAsync(VmState.Provisioning, $"migration to node {target} failed; restoring it here from the state it saved");
        return Info();
    }

    /// <summary>Operations on a VM wait while it migrates (or until the move's deadline, if whatever drove it died).</summary>
    private void RequireSettled()
    {
        if (S.MovingTo is { } target && clock.GetUtcNow() - S.MovingSince < MoveDeadline)
        {
            throw FormationException.Conflict(
                $"VM {S.Spec!.Name} ({VmId}) is migrating from node {NodeId} to node {target}; try again when `form vm info {S.Spec.Name}` shows it on its node.");
        }
    }
}
