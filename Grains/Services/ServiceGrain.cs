using Formation.Edge;
using Formation.Errors;
using Formation.Grains.Common;
using Formation.Identity;
using Formation.Images;
using Formation.Ownership;
using Formation.Services;
using Formation.Vms;

namespace Formation.Grains.Services;

/// <summary>
/// One service: its revisions, its replica count and the rollout that brings its replicas there. A timer takes one
/// <see cref="ServiceRollout"/> step per second while there is work, and looks every few seconds once steady (a
/// replica that stopped or was lost is replaced). Everything the rollout needs to resume after a silo dies is
/// persisted before it acts; creates carry a request id, so a create retried after a restart makes no second VM.
/// Key: the service's <see cref="OwnedName"/> as stored (<c>NAME</c> for the admin account, <c>ACCOUNT/NAME</c> for
/// another), so equal names in two accounts are two services; its replicas belong to that account, and a caller that
/// may not act on it is told it does not exist.
/// </summary>
public sealed partial class ServiceGrain(
    [PersistentState("service", StorageNames.Formation)] IPersistentState<ServiceGrainState> store,
    TimeProvider clock,
    ILogger<ServiceGrain> logger) : Grain, IServiceGrain
{
    private static readonly TimeSpan StepInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SteadyCheckInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a running replica is out of traffic at least before it is deleted: longer than DNS records and the edge
    /// proxy's table take to follow (1 s each), so no new request is sent to a replica that is about to go. After it, the
    /// drain also waits until every edge proxy routes without the replica (<see cref="IEdgeViewsGrain"/>).
    /// </summary>
    public static readonly TimeSpan DrainTime = TimeSpan.FromSeconds(3);

    /// <summary>The longest a drain waits for edges that have not caught up (a node cut off from the cluster never does).</summary>
    public static readonly TimeSpan MaxDrainTime = TimeSpan.FromSeconds(30);

    private IReadOnlyList<ServiceReplica> _replicas = [];
    private IGrainTimer? _timer;
    private DateTimeOffset _lastSteadyCheck;

    /// <summary>The service as everyone writes it: its key.</summary>
    private string Name => this.GetPrimaryKeyString();

    private OwnedName Owned => OwnedName.FromStored(Name);

    private ServiceGrainState S => store.State;

    private IVmCatalogGrain Vms => GrainFactory.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Exists)
        {
            await RefreshAsync();
            StartTimer();
        }
    }

    public async Task<ServiceInfo> DeployAsync(ServiceSpec spec)
    {
        RequireCaller();
        ServiceRules.Validate(spec);
        if (spec.Name != Owned.Name)
        {
            throw FormationException.Invalid($"This is service '{Name}'; the spec names '{spec.Name}'.");
        }

        RefuseWhileDeleting();
        var template = await PinAsync(spec.Template);
        var now = clock.GetUtcNow();
        if (!S.Exists)
        {
            store.State = new ServiceGrainState { Exists = true, Replicas = 1, CreatedAt = now };
        }

        if (S.Revisions.FirstOrDefault(r => r.Number == S.Revision) is not { } current || current.Template != template || current.Health != spec.Health)
        {
            var number = S.Revisions.Count == 0 ? 1 : S.Revisions.Max(r => r.Number) + 1;
            S.Revisions.Add(new ServiceRevision(number, template, now, spec.Health));
            MakeCurrent(number);
        }

        S.Replicas = spec.Replicas ?? S.Replicas;
        await StartRolloutAsync(now);
        return Info();
    }

    public Task<ServiceInfo> GetAsync()
    {
        RequireCaller();
        RequireExists();
        return Task.FromResult(Info());
    }

    public async Task<ServiceInfo> ScaleAsync(int replicas)
    {
        RequireCaller();
        RequireExists();
        RefuseWhileDeleting();
        ServiceRules.RequireReplicas(replicas);
        S.Replicas = replicas;
        await StartRolloutAsync(clock.GetUtcNow());
        return Info();
    }

    public async Task<ServiceInfo> RollbackAsync()
    {
        RequireCaller();
        RequireExists();
        RefuseWhileDeleting();
        var previous = S.History.Count >= 2 ? S.History[^2] : (int?)null;
        if (previous is null || S.Revisions.All(r => r.Number != previous))
        {
            throw FormationException.Conflict($"Service '{Name}' has no earlier revision to roll back to (it is at revision {S.Revision}).");
        }

        S.History.RemoveAt(S.History.Count - 1);
        S.Revision = previous.Value;
        await StartRolloutAsync(clock.GetUtcNow());
        return Info();
    }

    public async Task<ServiceInfo> DeleteAsync()
    {
        RequireCaller();
        RequireExists();
        S.Rollout = RolloutState.Deleting;
        S.Message = "deleting the replicas";
        S.UpdatedAt = clock.GetUtcNow();
        await SaveAsync();
        StartTimer();
        return Info();
    }

    public Task WakeAsync() => Task.CompletedTask; // activation does the work

    public async Task ReportHealthAsync(HealthReport report)
    {
        // The prober reports as the silo; a forged failure from a caller that may not act on the service is ignored.
        if (!S.Exists || !CallerContext.CurrentOrSystem.MayAct(Owned.Account) || !S.ReplicaRevisions.TryGetValue(report.VmId, out var revision) ||
            S.Revisions.FirstOrDefault(r => r.Number == revision)?.Health is not { } check ||
            _replicas.FirstOrDefault(r => r.VmId == report.VmId) is not { State: VmState.Running } replica)
        {
            return; // not (or no longer) a running replica with a check: a late report
        }

        var now = clock.GetUtcNow();
        var record = HealthOf(report.VmId, now);
        var wasServing = replica.Serving;
        record.Detail = report.Detail;
        if (report.Ok)
        {
            record.Passed = true;
            record.Failures = 0;
        }
        else
        {
            record.Failures++;
        }

        if (record.Passed && record.Failures >= check.Threshold &&
            (record.RebootedAt is not { } last || now - last > check.Interval * check.Threshold + check.StartPeriod))
        {
            // Out of traffic already (Failing is not serving); a reboot is the restart policy's remedy for a stuck guest.
            record.RebootedAt = now;
            record.Passed = false;
            record.Failures = 0;
            record.Since = now;
            S.Message = $"{replica.Name} failed {check.Threshold} health checks in a row ({report.Detail}); rebooting it";
            LogUnhealthy(Name, replica.Name, report.Detail);
            try
            {
                await GrainFactory.GetGrain<IVmGrain>(GrainKeys.Vm(replica.NodeId, replica.VmId)).RebootAsync();
            }
            catch (FormationException ex)
            {
                S.Message += $" (reboot refused: {ex.Message})";
            }
        }

        await RefreshAsync();
        if (_replicas.FirstOrDefault(r => r.VmId == report.VmId)?.Serving != wasServing || record.RebootedAt == now)
        {
            S.UpdatedAt = now;
            await SaveAsync();
        }
    }

    private HealthRecord HealthOf(string vmId, DateTimeOffset now)
    {
        if (!S.Health.TryGetValue(vmId, out var record))
        {
            S.Health[vmId] = record = new HealthRecord { Since = now };
        }

        return record;
    }

    /// <summary>A replica's health as the rollout and the traffic see it.</summary>
    private ReplicaHealth HealthOf(string vmId, int revision, VmState state, DateTimeOffset now)
    {
        var check = S.Revisions.FirstOrDefault(r => r.Number == revision)?.Health;
        if (check is null)
        {
            return ReplicaHealth.None;
        }

        if (state != VmState.Running)
        {
            return ReplicaHealth.Pending;
        }

        var record = HealthOf(vmId, now);
        return record switch
        {
            { Passed: true, Failures: var f } when f >= check.Threshold => ReplicaHealth.Failing,
            { Passed: true } => ReplicaHealth.Passing,
            _ when now - record.Since > check.StartPeriod => ReplicaHealth.TimedOut,
            _ => ReplicaHealth.Pending,
        };
    }

    private void MakeCurrent(int number)
    {
        S.Revision = number;
        S.History.Add(number);
        if (S.History.Count > ServiceGrainState.MaxRevisions * 2)
        {
            S.History.RemoveRange(0, S.History.Count - ServiceGrainState.MaxRevisions * 2);
        }

        // Keep what the history and the replicas still refer to, and the newest others up to the limit.
        var keep = S.History.Concat(S.ReplicaRevisions.Values).ToHashSet();
        while (S.Revisions.Count > ServiceGrainState.MaxRevisions && S.Revisions.FirstOrDefault(r => !keep.Contains(r.Number)) is { } drop)
        {
            S.Revisions.Remove(drop);
        }
    }

    /// <summary>
    /// The template as every replica of a revision gets it: the image's current digest pinned (unless the spec pins one),
    /// no name or request id. The image must be one of the service owner's: another account's answers as a missing one.
    /// </summary>
    private async Task<VmSpec> PinAsync(VmSpec template)
    {
        var image = template.Image!;
        var status = await GrainFactory.GetGrain<IImageGrain>(ImageNames.InAccount(Owned.Account, image)).GetStatusAsync();
        if (status.State == ImageBuildState.Unknown || (template.ImageDigest is null && status is not { State: ImageBuildState.Ready, Digest: not null }))
        {
            throw FormationException.NotFound($"Image '{image}' is not built ({status.State}). Build it with `form pack build` or deploy a Formfile.");
        }

        return template with { Name = "", ImageDigest = template.ImageDigest ?? status.Digest, Service = Name, RequestId = null };
    }

    private async Task StartRolloutAsync(DateTimeOffset now)
    {
        // Replicas of the target revision that failed before are retried: they are deleted, and new ones follow.
        foreach (var failed in _replicas.Where(r => r.Revision == S.Revision && r.State == VmState.Failed).ToList())
        {
            await DeleteReplicaAsync(failed);
        }

        S.Draining.Clear(); // the next steps decide afresh which replicas go (and drain them again)
        S.Rollout = RolloutState.Rolling;
        S.Message = $"rolling to revision {S.Revision} with {S.Replicas} replica(s)";
        S.UpdatedAt = now;
        await SaveAsync();
        StartTimer();
    }

    private void StartTimer()
    {
        _timer ??= this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = StepInterval,
            KeepAlive = true,
        });
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (!S.Exists)
        {
            return;
        }

        var now = clock.GetUtcNow();
        if (S.Rollout == RolloutState.Failed || (S.Rollout == RolloutState.Steady && now - _lastSteadyCheck < SteadyCheckInterval))
        {
            return;
        }

        _lastSteadyCheck = now;
        try
        {
            await StepAsync();
        }
        catch (Exception ex)
        {
            LogStepFailed(ex, Name);
        }
    }

    private async Task StepAsync()
    {
        await RefreshAsync();
        if (S.Creating is { } ordinal)
        {
            await CreateReplicaAsync(ordinal); // a create the previous activation started: finish it (same request id)
            return;
        }

        var step = ServiceRollout.Next(S.Replicas, S.Revision, _replicas, S.Rollout == RolloutState.Deleting);
        switch (step)
        {
            case RolloutStep.Done when S.Rollout == RolloutState.Deleting:
                await RemoveAsync();
                break;
            case RolloutStep.Done:
                if (S.Rollout != RolloutState.Steady)
                {
                    await SetAsync(RolloutState.Steady, $"{S.Replicas} replica(s) of revision {S.Revision} running");
                }

                break;
            case RolloutStep.Wait:
                break;
            case RolloutStep.Create:
                if (S.Rollout == RolloutState.Steady)
                {
                    await SetAsync(RolloutState.Rolling, $"replacing a replica: {S.Replicas} wanted, fewer running");
                }

                S.Creating = S.NextOrdinal++;
                await SaveAsync();
                await CreateReplicaAsync(S.Creating.Value);
                break;
            case RolloutStep.Delete(var replica, var why):
                if (replica.State == VmState.Running && S.Rollout != RolloutState.Deleting && !await DrainedAsync(replica))
                {
                    break;
                }

                LogDeleting(Name, replica.Name, why);
                await DeleteReplicaAsync(replica);
                break;
            case RolloutStep.Fail(var replica):
                var previous = S.History.Count >= 2 ? S.History[^2] : (int?)null;
                var serving = _replicas.Count(r => r.Revision != S.Revision && r.Serving);
                await SetAsync(RolloutState.Failed,
                    $"replica {replica.Name} of revision {S.Revision} failed: {await FailureOfAsync(replica)}. The rollout stopped" +
                    (serving > 0 ? $"; {serving} replica(s) of revision {previous} still serve" : "") +
                    $". See `form vm logs {replica.Name}`; fix it and deploy again" +
                    (previous is null ? "." : $", or `form service rollback {Name}`."));
                break;
        }
    }

    private async Task CreateReplicaAsync(int ordinal)
    {
        var revision = S.Revisions.First(r => r.Number == S.Revision);
        var spec = revision.Template with
        {
            Name = ServiceRules.ReplicaName(Owned.Name, ordinal),
            RequestId = $"service-{Owned.Name}-{ordinal}",
        };
        try
        {
            var created = await Vms.CreateVmAsync(spec);
            S.ReplicaRevisions[created.Id] = revision.Number;
            S.Creating = null;
            S.Message = $"started {spec.Name} (revision {revision.Number}) on {created.NodeId}";
            S.UpdatedAt = clock.GetUtcNow();
            await SaveAsync();
        }
        catch (FormationException ex) when (ex.Kind != ErrorKind.NodeUnavailable)
        {
            S.Creating = null;
            await SetAsync(RolloutState.Failed, $"could not start replica {spec.Name} of revision {revision.Number}: {ex.Message}");
        }
    }

    /// <summary>True once a running replica has been out of traffic for <see cref="DrainTime"/>; starts its drain if it was not.</summary>
    private async Task<bool> DrainedAsync(ServiceReplica replica)
    {
        var now = clock.GetUtcNow();
        if (!S.Draining.TryGetValue(replica.VmId, out var since))
        {
            S.Draining[replica.VmId] = now;
            S.Message = $"draining {replica.Name} (out of DNS and the proxy) before deleting it";
            S.UpdatedAt = now;
            await SaveAsync();
            await RefreshAsync();
            return false;
        }

        // Out of traffic means out of every edge's table: past the drain time, wait (at most MaxDrainTime) until every edge
        // proxy routes by a version of this service from after the drain began — a loaded node may refresh late, and a
        // request it sent to a deleted VM would get no answer at all.
        return now - since >= DrainTime &&
            (now - since >= MaxDrainTime || await GrainFactory.GetGrain<IEdgeViewsGrain>(GrainKeys.Cluster).AllReadSinceAsync(Name, since));
    }

    private async Task DeleteReplicaAsync(ServiceReplica replica)
    {
        try
        {
            await GrainFactory.GetGrain<IVmGrain>(GrainKeys.Vm(replica.NodeId, replica.VmId)).DeleteAsync();
        }
        catch (FormationException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            // already gone
        }

        S.ReplicaRevisions.Remove(replica.VmId);
        S.Draining.Remove(replica.VmId);
        S.UpdatedAt = clock.GetUtcNow();
        await SaveAsync();
        await RefreshAsync();
    }

    private async Task<string> FailureOfAsync(ServiceReplica replica)
    {
        if (replica.Health == ReplicaHealth.TimedOut && S.Revisions.FirstOrDefault(r => r.Number == replica.Revision)?.Health is { } check)
        {
            var detail = S.Health.TryGetValue(replica.VmId, out var record) ? record.Detail : null;
            return $"its health check ({check}) did not pass within {check.StartPeriod.TotalSeconds:0} s (last: {detail ?? "no check ran"})";
        }

        return await ReasonAsync(replica);
    }

    private async Task<string> ReasonAsync(ServiceReplica replica)
    {
        try
        {
            return (await GrainFactory.GetGrain<IVmGrain>(GrainKeys.Vm(replica.NodeId, replica.VmId)).GetAsync()).Reason ?? "no reason given";
        }
        catch (Exception ex)
        {
            return $"(its reason could not be read: {ex.Message})";
        }
    }

    /// <summary>Reads the replicas' states from the VM catalog; a replica the catalog no longer lists is gone.</summary>
    private async Task RefreshAsync()
    {
        var vms = await Vms.ListServiceAsync(Name);
        var now = clock.GetUtcNow();
        var replicas = new List<ServiceReplica>(vms.Count);
        foreach (var vm in vms)
        {
            if (S.ReplicaRevisions.TryGetValue(vm.Id, out var revision))
            {
                replicas.Add(new ServiceReplica(vm.Id, vm.Name, vm.NodeId, revision, vm.State, vm.Address, S.Draining.ContainsKey(vm.Id),
                    HealthOf(vm.Id, revision, vm.State, now)));
                if (vm.State != VmState.Running && S.Health.TryGetValue(vm.Id, out var stale) && stale.RebootedAt is null)
                {
                    S.Health.Remove(vm.Id); // stopped or rebooting on its own: its start period begins again when it runs
                }
            }
        }

        foreach (var gone in S.ReplicaRevisions.Keys.Where(id => vms.All(v => v.Id != id)).ToList())
        {
            S.ReplicaRevisions.Remove(gone);
            S.Draining.Remove(gone);
            S.Health.Remove(gone);
        }

        replicas.Sort(static (a, b) => ServiceRollout.Ordinal(a.Name).CompareTo(ServiceRollout.Ordinal(b.Name)));
        _replicas = replicas;
    }

    private async Task SetAsync(RolloutState rollout, string message)
    {
        S.Rollout = rollout;
        S.Message = message;
        S.UpdatedAt = clock.GetUtcNow();
        LogRollout(Name, rollout, message);
        await SaveAsync();
    }

    private async Task SaveAsync()
    {
        await store.WriteStateAsync();
        await GrainFactory.GetGrain<IServiceCatalogGrain>(GrainKeys.Cluster).UpdateAsync(Info().ToSummary());
    }

    private async Task RemoveAsync()
    {
        await GrainFactory.GetGrain<IServiceCatalogGrain>(GrainKeys.Cluster).RemoveAsync(Name);
        await store.ClearStateAsync();
        store.State = new ServiceGrainState();
        _timer?.Dispose();
        _timer = null;
        LogRemoved(Name);
        DeactivateOnIdle();
    }

    private void RequireExists()
    {
        if (!S.Exists)
        {
            throw NotFound();
        }
    }

    /// <summary>A caller that may not act on the owner's services gets the answer of a service that does not exist.</summary>
    private void RequireCaller()
    {
        if (!CallerContext.CurrentOrSystem.MayAct(Owned.Account))
        {
            throw NotFound();
        }
    }

    private FormationException NotFound() =>
        FormationException.NotFound($"No service named '{Name}'. `form service list` shows the services; `form deploy` makes one.");

    private void RefuseWhileDeleting()
    {
        if (S.Exists && S.Rollout == RolloutState.Deleting)
        {
            throw FormationException.Conflict($"Service '{Name}' is being deleted; wait until `form service list` no longer shows it.");
        }
    }

    private ServiceInfo Info() => new(
        Name, S.Replicas, S.Revision, S.Rollout, S.Message, _replicas, [.. S.Revisions], S.CreatedAt, S.UpdatedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service {Service}: {Rollout}: {Message}")]
    private partial void LogRollout(string service, RolloutState rollout, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service {Service}: deleting replica {Replica}: {Why}")]
    private partial void LogDeleting(string service, string replica, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service {Service}: replica {Replica} is unhealthy ({Detail}); rebooting it")]
    private partial void LogUnhealthy(string service, string replica, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service {Service} deleted")]
    private partial void LogRemoved(string service);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service {Service}: a rollout step failed; the next tick retries")]
    private partial void LogStepFailed(Exception ex, string service);
}
