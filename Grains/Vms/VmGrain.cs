using Formation.Errors;
using Formation.Events;
using Formation.Grains.Common;
using Formation.Grains.Hosting;
using Formation.Grains.Images;
using Formation.Grains.Placement;
using Formation.Identity;
using Formation.Scheduling;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// One VM on its node's silo. Holds desired and observed state, refuses illegal transitions, persists every
/// transition, publishes it, and drives the node's hypervisor through <see cref="IVmHost"/>.
/// </summary>
[HostAffinityPlacement]
public sealed partial class VmGrain(
    [PersistentState("vm", StorageNames.Formation)] IPersistentState<VmGrainState> store,
    IVmHost host,
    TimeProvider clock,
    ILogger<VmGrain> logger) : Grain, IVmGrain, IVmImageWaiter
{
    private string VmId => GrainKeys.VmIdOf(this.GetPrimaryKeyString());

    private string NodeId => GrainKeys.NodeOf(this.GetPrimaryKeyString());

    private VmGrainState S => store.State;

    /// <summary>Completed (and dropped) at every transition: what <see cref="WaitForAsync"/> calls wait on.</summary>
    private TaskCompletionSource? _changed;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Exists)
        {
            await ReconcileAsync(cancellationToken);
            PublishSummary();
        }
    }

    public async Task<VmInfo> CreateAsync(VmSpec spec)
    {
        if (S.Spec is not null && S.State != VmState.Deleted)
        {
            if (S.Spec == spec && OwnerAccount == VmOwners.ForNew(CallerContext.CurrentOrSystem, spec))
            {
                return Info();
            }

            throw FormationException.Conflict($"VM {VmId} already exists on node {NodeId}.");
        }

        var now = clock.GetUtcNow();
        store.State = new VmGrainState
        {
            Spec = spec,
            State = VmState.Pending,
            CreatedAt = now,
            UpdatedAt = now,
            HypervisorDriver = host.DriverName,
            Owner = VmOwners.ForNew(CallerContext.CurrentOrSystem, spec),
        };
        // Scheduled is recorded with the Provisioning that follows at once: one storage write for both.
        await TransitionAsync(VmState.Scheduled, $"placed on node {NodeId}", persist: false);
        if (spec.FromSnapshot is not null)
        {
            await CloneAsync();
            return Info();
        }

        await ProvisionAsync();
        return Info();
    }

    public Task<VmInfo> GetAsync()
    {
        RequireExists();
        return Task.FromResult(Info());
    }

    public async Task<VmInfo> WaitForAsync(VmState target, TimeSpan patience)
    {
        RequireExists();
        var deadline = clock.GetUtcNow() + VmWaits.Clamp(patience);
        while (S.State != target && S.State != VmState.Failed)
        {
            var left = deadline - clock.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            try
            {
                await _changed.Task.WaitAsync(left, clock);
            }
            catch (TimeoutException)
            {
                break;
            }
        }

        return Info();
    }

    public async Task<VmInfo> StartAsync()
    {
        RequireExists();
        RequireSettled();
        if (S.State is VmState.Running or VmState.Provisioning)
        {
            return Info();
        }

        RequireState("start", VmState.Stopped, VmState.Failed);
        await ProvisionAsync();
        return Info();
    }

    public async Task<VmInfo> StopAsync()
    {
        RequireExists();
        RequireSettled();
        if (S.State is VmState.Stopped or VmState.Stopping)
        {
            return Info();
        }

        RequireState("stop", VmState.Running, VmState.Paused, VmState.Provisioning);
        await TransitionAsync(VmState.Stopping, "stop requested");
        if (S.AwaitingImage is not null)
        {
            // Nothing runs yet: the host holds nothing for it. The fetch goes on for the node's sake; its news is ignored.
            S.AwaitingImage = null;
            await TransitionAsync(VmState.Stopped, "stopped before its image arrived");
            return Info();
        }

        try
        {
            await host.StopAsync(VmId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            await FailAsync("stop", ex);
        }

        return Info();
    }

    public async Task<VmInfo> PauseAsync()
    {
        RequireExists();
        RequireSettled();
        if (S.State == VmState.Paused)
        {
            return Info();
        }

        RequireState("pause", VmState.Running);
        await HostCallAsync("pause", () => host.PauseAsync(VmId, CancellationToken.None));
        await TransitionAsync(VmState.Paused, "pause requested");
        return Info();
    }

    public async Task<VmInfo> ResumeAsync()
    {
        RequireExists();
        RequireSettled();
        if (S.State == VmState.Running)
        {
            return Info();
        }

        RequireState("resume", VmState.Paused);
        await HostCallAsync("resume", () => host.ResumeAsync(VmId, CancellationToken.None));
        await TransitionAsync(VmState.Running, "resume requested");
        return Info();
    }

    public async Task<VmInfo> RebootAsync()
    {
        RequireExists();
        RequireSettled();
        RequireState("reboot", VmState.Running, VmState.Paused);
        await TransitionAsync(VmState.Provisioning, "reboot requested");
        try
        {
            await host.RebootAsync(VmId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            await FailAsync("reboot", ex);
        }

        return Info();
    }

    public async Task<VmInfo> DeleteAsync()
    {
        RequireExists();
        RequireSettled();
        if (S.State != VmState.Deleting)
        {
            await TransitionAsync(VmState.Deleting, "delete requested");
        }

        try
        {
            await host.DeleteAsync(VmId, keepAddress: false, CancellationToken.None);
        }
        catch (Exception ex)
        {
            await FailAsync("delete", ex);
            throw new FormationException(ErrorKind.HostFailure,
                $"Deleting VM {VmId} failed on node {NodeId}: {ex.Message}. It is now Failed; run delete again to retry.");
        }

        await TransitionAsync(VmState.Deleted, "deleted");
        var info = Info();
        await GrainFactory.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ReleaseAsync(VmId);
        await store.ClearStateAsync();
        DeactivateOnIdle();
        return info;
    }

    public Task<IReadOnlyList<VmEvent>> GetEventsAsync()
    {
        RequireExists();
        return Task.FromResult<IReadOnlyList<VmEvent>>(S.Events.ToArray());
    }

    public async Task ReportAsync(HostReport report)
    {
        // The host reports as the silo; a member's forged report about a VM it may not act on changes nothing.
        if (!S.Exists || S.State == VmState.Deleting || !CallerContext.CurrentOrSystem.MayAct(OwnerAccount))
        {
            return;
        }

        S.Address = report.Address ?? S.Address;
        if (report.Ports is { } ports)
        {
            S.Ports = [.. ports];
        }

        var observed = report.State;
        if (S.State == observed)
        {
            await store.WriteStateAsync();
            PublishSummary();
            return;
        }

        if (!VmTransitions.IsAllowed(S.State, observed))
        {
            LogIgnoredReport(VmId, S.State, observed);
            return;
        }

        var arriving = S.ArrivingFrom is not null;
        if (observed == VmState.Running || observed == VmState.Failed)
        {
            S.ArrivingFrom = null;
        }

        await TransitionAsync(observed, report.Reason ?? "reported by host");
        if (report.Unexpected && !arriving && ShouldRestart(observed))
        {
            S.AutomaticRestarts.Add(clock.GetUtcNow());
            LogAutomaticRestart(VmId, S.Spec!.Restart, S.AutomaticRestarts.Count);
            await ProvisionAsync($"restart policy {S.Spec.Restart}");
        }
    }

    /// <summary>Restart per policy, at most <see cref="MaxRestarts"/> times in <see cref="RestartWindow"/>.</summary>
    private bool ShouldRestart(VmState observed)
    {
        var policy = S.Spec!.Restart;
        var wanted = policy == RestartPolicy.Always
            ? observed is VmState.Stopped or VmState.Failed
            : policy == RestartPolicy.OnFailure && observed == VmState.Failed;
        if (!wanted)
        {
            return false;
        }

        var now = clock.GetUtcNow();
        S.AutomaticRestarts.RemoveAll(t => now - t > RestartWindow);
        return S.AutomaticRestarts.Count < MaxRestarts;
    }

    private const int MaxRestarts = 5;

    private static readonly TimeSpan RestartWindow = TimeSpan.FromMinutes(10);

    private async Task ProvisionAsync(string? why = null)
    {
        await TransitionAsync(VmState.Provisioning, why ?? "provisioning on " + host.DriverName);
        if (await AwaitImageAsync())
        {
            return; // the node's image store fetches the image first; ImageFetchedAsync boots the VM
        }

        await BootAsync();
    }

    private async Task BootAsync()
    {
        try
        {
            await host.ProvisionAsync(Info(), CancellationToken.None);
        }
        catch (Exception ex)
        {
            await FailAsync("provision", ex);
        }
    }

    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        if (S.State is VmState.Failed or VmState.Deleting)
        {
            return;
        }

        if (S.AwaitingImage is not null && S.State == VmState.Provisioning)
        {
            await ResumeImageWaitAsync(); // the silo restarted during the fetch: ask again (the store may hold it by now)
            return;
        }

        HostVmStatus? seen;
        try
        {
            seen = await host.InspectAsync(VmId, cancellationToken);
        }
        catch (Exception ex)
        {
            LogReconcileFailed(ex, VmId);
            return;
        }

        if (seen is null)
        {
            if (S.State is VmState.Running or VmState.Paused or VmState.Provisioning or VmState.Stopping)
            {
                await TransitionAsync(VmState.Failed, "the host no longer has this VM (its process is gone)");
            }

            return;
        }

        S.Address = seen.Address ?? S.Address;
        if (seen.Ports is { } ports)
        {
            S.Ports = [.. ports];
        }

        if (seen.State != S.State && VmTransitions.IsAllowed(S.State, seen.State))
        {
            await TransitionAsync(seen.State, seen.Reason ?? "observed on reactivation");
        }
    }

    private async Task HostCallAsync(string action, Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (FormationException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new FormationException(ErrorKind.HostFailure,
                $"Could not {action} VM {VmId} on node {NodeId}: {ex.Message}");
        }
    }

    private async Task FailAsync(string action, Exception ex)
    {
        LogHostFailed(ex, action, VmId);
        if (VmTransitions.IsAllowed(S.State, VmState.Failed))
        {
            await TransitionAsync(VmState.Failed, $"{action} failed: {ex.Message}");
        }
    }

    private async Task TransitionAsync(VmState to, string reason, bool persist = true)
    {
        var from = S.State;
        if (!VmTransitions.IsAllowed(from, to))
        {
            throw FormationException.Conflict($"VM {VmId} cannot go from {from} to {to}.");
        }

        var now = clock.GetUtcNow();
        var evt = new VmEvent(VmId, S.Spec!.Name, NodeId, from, to, now, reason);
        S.State = to;
        S.Reason = reason;
        S.UpdatedAt = now;
        S.Events.Add(evt);
        if (S.Events.Count > VmGrainState.MaxEvents)
        {
            S.Events.RemoveRange(0, S.Events.Count - VmGrainState.MaxEvents);
        }

        if (persist && to != VmState.Deleted)
        {
            await store.WriteStateAsync();
        }

        LogTransition(VmId, from, to, reason);
        _changed?.TrySetResult();
        _changed = null;
        await PublishAsync(evt);
        if (persist)
        {
            // A state not written yet is followed at once by one that is (Scheduled by Provisioning): the catalog gets
            // that one alone, saving it a row write and this silo a call per create. The event above still tells it.
            PublishSummary();
        }
    }

    private async Task PublishAsync(VmEvent evt)
    {
        try
        {
            var streams = this.GetStreamProvider(EventStreams.Provider);
            await streams.GetStream<VmEvent>(EventStreams.ForVm(VmId)).OnNextAsync(evt);
            await streams.GetStream<VmEvent>(EventStreams.ForAllVms()).OnNextAsync(evt);
        }
        catch (Exception ex)
        {
            LogPublishFailed(ex, VmId);
        }
    }

    private void PublishSummary() =>
        GrainFactory.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).UpdateAsync(Info().ToSummary()).Ignore();

    private VmInfo Info() =>
        new(VmId, NodeId, S.Spec!, S.State, S.Reason, S.CreatedAt, S.UpdatedAt, S.Address, S.HypervisorDriver, S.Ports, OwnerAccount);

    private string OwnerAccount => S.Owner ?? Caller.AdminAccount;

    /// <summary>
    /// Every user-facing method starts here. A caller that reaches this grain by its key without going through the
    /// catalog (which already hides other accounts' VMs) gets the same answer as for a VM that does not exist.
    /// </summary>
    private void RequireExists()
    {
        if (!S.Exists || !CallerContext.CurrentOrSystem.MayAct(OwnerAccount))
        {
            throw FormationException.NotFound($"VM {VmId} does not exist on node {NodeId}.");
        }
    }

    private void RequireState(string action, params VmState[] allowed)
    {
        if (Array.IndexOf(allowed, S.State) < 0)
        {
            throw FormationException.Conflict(
                $"Cannot {action} VM {S.Spec!.Name} ({VmId}): it is {S.State}; {action} needs {string.Join(" or ", allowed)}.");
        }
    }
}
