using Formation.Errors;
using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// Snapshot and restore, modelled like pause and resume: the grain asks its node's host and records what happened as
/// transitions through the existing states, their reasons naming the snapshot (Running → Paused "taking snapshot S" →
/// Running "snapshot S taken", or → Stopped with <c>--stop</c>; restore goes through Provisioning to Running).
/// </summary>
public sealed partial class VmGrain
{
    public async Task<SnapshotInfo> SnapshotAsync(string? name, bool stop)
    {
        RequireExists();
        RequireState("snapshot", VmState.Running, VmState.Paused);
        var snapshotName = SnapshotKeys.RequireName(name ?? SnapshotKeys.DefaultName(S.Spec!.Name, clock.GetUtcNow()));
        var wasPaused = S.State == VmState.Paused;
        if (!wasPaused)
        {
            await TransitionAsync(VmState.Paused, $"taking snapshot {snapshotName}");
        }

        SnapshotInfo snapshot;
        try
        {
            snapshot = await host.SnapshotAsync(Info(), snapshotName, stop, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogHostFailed(ex, "snapshot", VmId);
            if (!wasPaused)
            {
                await TransitionAsync(VmState.Running, $"snapshot {snapshotName} failed; resumed");
            }

            throw ex is FormationException ? ex : new FormationException(ErrorKind.HostFailure,
                $"Could not snapshot VM {VmId} on node {NodeId}: {ex.Message}");
        }

        var taken = $"snapshot {snapshot.Name} ({snapshot.ShortId}) taken";
        if (stop)
        {
            await TransitionAsync(VmState.Stopped, taken + "; stopped");
        }
        else if (!wasPaused)
        {
            await TransitionAsync(VmState.Running, taken);
        }
        else
        {
            S.Reason = taken;
            await store.WriteStateAsync();
            PublishSummary();
        }

        return snapshot;
    }

    public async Task<VmInfo> RestoreAsync(string snapshot)
    {
        RequireExists();
        RequireSettled();
        RequireState("restore", VmState.Running, VmState.Paused, VmState.Stopped, VmState.Failed);
        if (string.IsNullOrWhiteSpace(snapshot))
        {
            throw FormationException.Invalid("restore needs a snapshot name or id; `form snapshot list --vm VM` lists them.");
        }

        // The host checks the snapshot before it touches the VM: a wrong one is refused with the VM as it was.
        await HostCallAsync("restore", () => host.RestoreAsync(Info(), snapshot, CancellationToken.None));
        await TransitionAsync(VmState.Provisioning, $"restoring snapshot {snapshot}");
        return Info();
    }

    /// <summary>A clone's first start: the host restores the snapshot with the VM's own identity and reports Running or Failed.</summary>
    private async Task CloneAsync()
    {
        var snapshot = S.Spec!.FromSnapshot!;
        await TransitionAsync(VmState.Provisioning, $"cloning from snapshot {snapshot[..Math.Min(SnapshotInfo.ShortIdLength, snapshot.Length)]}");
        try
        {
            await EnsureSnapshotHereAsync(snapshot);
            await host.CloneAsync(Info(), CancellationToken.None);
        }
        catch (Exception ex)
        {
            await FailAsync("clone", ex);
        }
    }

    /// <summary>A clone on a node without a copy of its snapshot: the node fetches it from a node that holds it.</summary>
    private async Task EnsureSnapshotHereAsync(string snapshotId)
    {
        await Images.NodeImageHolding.RequireAsync(GrainFactory, NodeId, S.Spec!, OwnerAccount);

        var here = GrainFactory.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore(NodeId));
        if ((await here.ListAsync(null)).Any(s => s.Id == snapshotId))
        {
            return;
        }

        foreach (var node in await GrainFactory.GetGrain<Formation.Scheduling.ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync())
        {
            IReadOnlyList<SnapshotInfo> held;
            try
            {
                held = node.NodeId == NodeId ? [] : await GrainFactory.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore(node.NodeId)).ListAsync(null);
            }
            catch (Exception ex) when (ex is not FormationException)
            {
                continue; // a node that does not answer holds nothing to fetch now
            }

            if (held.Any(s => s.Id == snapshotId))
            {
                S.Reason = $"copying snapshot {snapshotId[..SnapshotInfo.ShortIdLength]} from node {node.NodeId}";
                await store.WriteStateAsync();
                PublishSummary();
                await here.FetchAsync(snapshotId, node.NodeId);
                return;
            }
        }

        throw FormationException.NotFound($"no node holds snapshot {snapshotId[..SnapshotInfo.ShortIdLength]} any more; it cannot be cloned.");
    }
}
