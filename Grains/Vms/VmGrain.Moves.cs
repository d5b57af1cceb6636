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
        var snapshotId = arrival.SnapshotId ?? throw FormationException.Invalid("a stop-and-copy arrival names the snapshot it restores.");
        Become(arrival);
        await TransitionAsync(VmState.Scheduled, $"migrating from node {arrival.FromNode}", persist: false);
        await TransitionAsync(VmState.Provisioning, $"restoring on node {NodeId} what node {arrival.FromNode} saved");
        try
        {
            await host.RestoreAsync(Info(), snapshotId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            await FailAsync("restore after migration", ex);
            throw ex is FormationException ? ex : new FormationException(ErrorKind.HostFailure,
                $"node {NodeId} could not restore VM {VmId} from node {arrival.FromNode}'s snapshot: {ex.Message}");
        }

        return Info();
    }

    public async Task<MigrationInbox?> ReceiveMoveAsync(VmArrival arrival)
    {
        if (host.Migration is not { } migration)
        {
            return null;
        }

        Become(arrival);
        MigrationInbox? inbox;
        try
        {
            inbox = await migration.ReceiveAsync(Info(), arrival.FromNode, CancellationToken.None);
        }
        catch
        {
            store.State = new VmGrainState(); // never persisted: nothing here to undo
            throw;
        }

        if (inbox is null)
        {
            store.State = new VmGrainState();
            return null;
        }

        S.ArrivingFrom = arrival.FromNode;
        await TransitionAsync(VmState.Scheduled, $"migrating live from node {arrival.FromNode}", persist: false);
        await TransitionAsync(VmState.Provisioning, $"receiving on node {NodeId} the running VM from node {arrival.FromNode}");
        return inbox;
    }

    public async Task SendMoveAsync(string toNode, MigrationInbox inbox)
    {
        RequireExists();
        RequireSettled();
        RequireState("migrate live", VmState.Running);
        var migration = host.Migration ?? throw FormationException.Invalid($"node {NodeId}'s {host.DriverName} driver cannot send a running VM.");
        S.MovingTo = toNode;
        S.MovingSince = clock.GetUtcNow();
        await store.WriteStateAsync();
        try
        {
            await migration.SendAsync(Info(), inbox, CancellationToken.None);
        }
        catch
        {
            S.MovingTo = null;
            await store.WriteStateAsync();
            throw;
        }

        S.Reason = $"migrating live to node {toNode}: sent, it continues there";
        await store.WriteStateAsync();
        PublishSummary();
    }

    /// <summary>This grain takes the arriving VM's spec, owner, creation time, address and history (not yet persisted).</summary>
    private void Become(VmArrival arrival)
    {
        if (S.Exists)
        {
            throw FormationException.Conflict($"VM {VmId} already exists on node {NodeId}; it cannot move in again.");
        }

        store.State = new VmGrainState
        {
            Spec = arrival.Spec,
            State = VmState.Pending,
            CreatedAt = arrival.CreatedAt,
            UpdatedAt = clock.GetUtcNow(),
            Address = arrival.Address,
            HypervisorDriver = host.DriverName,
            Owner = arrival.Owner,
            Events = [.. arrival.Events],
        };
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

    public async Task<VmInfo> AbortMoveOutAsync(string? snapshotId)
    {
        if (!S.Exists || S.MovingTo is not { } target)
        {
            return Info();
        }

        S.MovingTo = null;
        if (snapshotId is null)
        {
            // A live move: the VM's process is still here, paused once it had sent everything; it continues.
            await store.WriteStateAsync();
            await host.ResumeAsync(VmId, CancellationToken.None);
            S.Reason = $"migration to node {target} failed; it runs on here";
            await store.WriteStateAsync();
            PublishSummary();
            return Info();
        }

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
