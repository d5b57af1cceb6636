using Formation.Services;
using Formation.Vms;

namespace Formation.Grains.Services;

/// <summary>What a service does next, one change at a time.</summary>
public abstract record RolloutStep
{
    private RolloutStep()
    {
    }

    /// <summary>Nothing to change: every replica runs the target revision and the count is right.</summary>
    public sealed record Done : RolloutStep;

    /// <summary>A replica is between states (booting, stopping, being deleted): wait for it.</summary>
    public sealed record Wait(string Why) : RolloutStep;

    /// <summary>Start one more replica of the target revision.</summary>
    public sealed record Create : RolloutStep;

    /// <summary>Delete this replica (an old one whose replacement runs, a surplus one, or a failed old one).</summary>
    public sealed record Delete(ServiceReplica Replica, string Why) : RolloutStep;

    /// <summary>A replica of the target revision failed: stop here, leaving the others as they are.</summary>
    public sealed record Fail(ServiceReplica Replica) : RolloutStep;
}

/// <summary>
/// The rolling update as a pure function of the replicas' states. With <c>N</c> replicas wanted, a new replica is added
/// (at most one at a time, so at most <c>N + 1</c> run) and only once it runs is an old one deleted; replicas that are
/// between states are waited for; a replica a user stopped or paused still counts (as a stopped Fly machine does: the
/// user's choice, not a fault), and is replaced like any other when a new revision rolls out; a replica whose node was
/// lost is not counted (a replacement is made), and deleted once its node returns and it is surplus; a failed replica
/// of an older revision is deleted; a failed replica of the target revision, or one whose health check never passed
/// within its start period, stops the rollout; a running replica whose first health check has not passed yet is
/// waited for.
/// </summary>
public static class ServiceRollout
{
    public static RolloutStep Next(int wanted, int target, IReadOnlyList<ServiceReplica> replicas, bool deleting = false)
    {
        if (deleting)
        {
            if (replicas.FirstOrDefault(r => r.State is not (VmState.Deleting or VmState.Deleted)) is { } left)
            {
                return new RolloutStep.Delete(left, "the service is being deleted");
            }

            return replicas.Count > 0 ? new RolloutStep.Wait("replicas are being deleted") : new RolloutStep.Done();
        }

        if (replicas.FirstOrDefault(r => r.Revision == target && (r.State == VmState.Failed || r.Health == ReplicaHealth.TimedOut)) is { } failed)
        {
            return new RolloutStep.Fail(failed);
        }

        if (replicas.FirstOrDefault(r => IsChanging(r.State)) is { } changing)
        {
            return new RolloutStep.Wait($"{changing.Name} is {changing.State}");
        }

        // A new replica counts once its health check has passed: until then the old ones stay.
        if (replicas.FirstOrDefault(r => r.State == VmState.Running && r.Health == ReplicaHealth.Pending) is { } starting)
        {
            return new RolloutStep.Wait($"{starting.Name} waits for its first passing health check");
        }

        if (replicas.FirstOrDefault(r => r.Revision != target && r.State == VmState.Failed) is { } dead)
        {
            return new RolloutStep.Delete(dead, $"it is {dead.State} and serves nothing");
        }

        var live = replicas.Where(r => r.Revision == target && IsLive(r.State)).OrderBy(r => Ordinal(r.Name)).ToList();
        // Old replicas that serve nothing (stopped, paused) go first, then the oldest.
        var liveOld = replicas.Where(r => r.Revision != target && IsLive(r.State)).OrderBy(r => r.Serving).ThenBy(r => Ordinal(r.Name)).ToList();
        if (liveOld.Count > 0 && live.Count + liveOld.Count > wanted)
        {
            return new RolloutStep.Delete(liveOld[0], $"replaced by revision {target}");
        }

        if (live.Count < wanted)
        {
            return new RolloutStep.Create();
        }

        if (live.Count > wanted)
        {
            return new RolloutStep.Delete(live[^1], $"the service is scaled to {wanted}");
        }

        // Lost replicas of an old revision linger until their node returns; they are not the rollout's to wait for.
        return new RolloutStep.Done();
    }

    /// <summary>Booting, stopping or being deleted: the outcome is not known yet.</summary>
    public static bool IsChanging(VmState state) =>
        state is VmState.Pending or VmState.Scheduled or VmState.Provisioning or VmState.Stopping or VmState.Deleting;

    /// <summary>Running, or paused or stopped by a user: counts as one of the service's replicas.</summary>
    public static bool IsLive(VmState state) => state is VmState.Running or VmState.Paused or VmState.Stopped;

    /// <summary>The replica number of a name <c>SERVICE-N</c> (0 when it has none).</summary>
    public static int Ordinal(string replicaName)
    {
        var dash = replicaName.LastIndexOf('-');
        return dash >= 0 && int.TryParse(replicaName.AsSpan(dash + 1), out var n) ? n : 0;
    }
}
