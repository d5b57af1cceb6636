using System.Diagnostics;
using Formation.Errors;
using Formation.Grains.Images;
using Formation.Nodes;
using Formation.Scheduling;
using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// <c>form vm migrate VM --to NODE</c>: stop-and-copy. Room is held on the target first (the scheduler keeps both nodes'
/// room until the move ends), the VM's node saves it as a snapshot and stops it, the target copies the snapshot (verified
/// against its id) and restores the VM under the same id, spec, owner and address; only once it runs there does the old
/// node let it go and the catalog point at the new node. Any failure on the way restores it on its old node.
/// </summary>
public sealed partial class VmCatalogGrain
{
    /// <summary>How long the restored VM may take to run on its new node before the move is undone.</summary>
    private static readonly TimeSpan ArrivalBudget = TimeSpan.FromMinutes(2);

    private readonly HashSet<string> _moving = new(StringComparer.Ordinal);

    public async Task<VmInfo> MigrateVmAsync(string idOrName, string toNode)
    {
        var vm = await ResolveAsync(idOrName);
        if (string.IsNullOrWhiteSpace(toNode))
        {
            throw FormationException.Invalid("--to needs a node id; `form node list` lists the nodes.");
        }

        if (vm.NodeId == toNode)
        {
            throw FormationException.Invalid($"VM {idOrName} is on node {toNode} already.");
        }

        if (!_moving.Add(vm.Id))
        {
            throw FormationException.Conflict($"VM {idOrName} is being migrated already; wait for that to finish.");
        }

        try
        {
            return await MigrateAsync(vm, toNode);
        }
        finally
        {
            _moving.Remove(vm.Id);
        }
    }

    private async Task<VmInfo> MigrateAsync(VmRef vm, string toNode)
    {
        var scheduler = GrainFactory.GetGrain<ISchedulerGrain>(Key);
        var nodes = await scheduler.ListNodesAsync();
        var source = GrainFactory.GetGrain<IVmGrain>(GrainKeys.Vm(vm.NodeId, vm.Id));
        var before = await source.GetAsync();
        RequireTarget(before, toNode, nodes);

        await scheduler.BeginMoveAsync(vm.Id, toNode);
        var clock = Stopwatch.StartNew();
        var target = GrainFactory.GetGrain<IVmGrain>(GrainKeys.Vm(toNode, vm.Id));
        SnapshotInfo saved;
        MigrationInbox? inbox = null;
        try
        {
            // The target gets the VM's image while the VM still runs: the pause is for its state alone.
            await NodeImageHolding.RequireAsync(GrainFactory, toNode, before.Spec, before.Account);
            if (before.State == VmState.Running)
            {
                inbox = await ReceiveLiveAsync(vm, source, target);
            }

            saved = inbox is null ? await source.MoveOutAsync(toNode) : null!;
        }
        catch (Exception ex)
        {
            await scheduler.EndMoveAsync(vm.Id, moved: false);
            throw new FormationException(ex is FormationException known ? known.Kind : ErrorKind.HostFailure,
                $"Migrating VM {before.Name} to node {toNode} failed: {ex.Message.TrimEnd('.')}. It runs on node {vm.NodeId} as before.");
        }

        if (inbox is not null)
        {
            return await MigrateLiveAsync(vm, before, toNode, source, target, inbox, clock);
        }

        var stoppedAt = clock.Elapsed;
        VmInfo arrived;
        try
        {
            await GrainFactory.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore(toNode)).FetchAsync(saved.Id, vm.NodeId);
            var stopped = await source.GetAsync();
            var history = await source.GetEventsAsync();
            await target.MoveInAsync(new VmArrival(stopped.Spec, stopped.Account, stopped.CreatedAt, stopped.Address, history, vm.NodeId, saved.Id));
            arrived = await WaitUntilRunningAsync(target);
        }
        catch (Exception ex)
        {
            LogMoveFailed(ex, vm.Id, vm.NodeId, toNode);
            await UndoAsync(vm, toNode, source, target, saved);
            throw new FormationException(ex is FormationException { Kind: ErrorKind.NoCapacity or ErrorKind.InvalidArgument } known ? known.Kind : ErrorKind.HostFailure,
                $"Migrating VM {before.Name} to node {toNode} failed: {ex.Message.TrimEnd('.')}. It runs on node {vm.NodeId} again, " +
                "restored from the state it saved for the move.");
        }

        await scheduler.EndMoveAsync(vm.Id, moved: true);
        Upsert(arrived.ToSummary());
        await _vms.FlushAsync();
        LogMoved(vm.Id, vm.NodeId, toNode, (long)stoppedAt.TotalMilliseconds, clock.ElapsedMilliseconds);
        await BestEffortAsync("let the VM go on its old node", vm.Id, source.MovedOutAsync);
        await ForgetSnapshotAsync(vm, saved, vm.NodeId, toNode);
        return arrived;
    }

    /// <summary>
    /// Asks the target to take the VM live; null when it cannot (its driver, TCG without Qemu:LiveMigrationWithTcg, a VM with
    /// a disk, no mesh): the move goes by stop and copy.
    /// </summary>
    private static async Task<MigrationInbox?> ReceiveLiveAsync(VmRef vm, IVmGrain source, IVmGrain target)
    {
        var running = await source.GetAsync();
        var history = await source.GetEventsAsync();
        return await target.ReceiveMoveAsync(new VmArrival(running.Spec, running.Account, running.CreatedAt, running.Address, history, vm.NodeId, null));
    }

    /// <summary>
    /// Live: the VM's node sends it into the process the target started while it runs; once the target reports it running
    /// the move ends as a stop-and-copy one does. A failure before that: the target lets go and the VM continues on its node.
    /// </summary>
    private async Task<VmInfo> MigrateLiveAsync(VmRef vm, VmInfo before, string toNode, IVmGrain source, IVmGrain target, MigrationInbox inbox, Stopwatch clock)
    {
        var scheduler = GrainFactory.GetGrain<ISchedulerGrain>(Key);
        VmInfo arrived;
        try
        {
            await source.SendMoveAsync(toNode, inbox);
            arrived = await WaitUntilRunningAsync(target);
        }
        catch (Exception ex)
        {
            LogMoveFailed(ex, vm.Id, vm.NodeId, toNode);
            await BestEffortAsync("let go of the half-moved VM on the target", vm.Id, target.AbandonMoveInAsync);
            await BestEffortAsync("continue the VM on its node", vm.Id, () => source.AbortMoveOutAsync(null));
            await BestEffortAsync("free the room held on the target", vm.Id, () => scheduler.EndMoveAsync(vm.Id, moved: false));
            throw new FormationException(ex is FormationException { Kind: ErrorKind.NoCapacity or ErrorKind.InvalidArgument } known ? known.Kind : ErrorKind.HostFailure,
                $"Migrating VM {before.Name} to node {toNode} failed: {ex.Message.TrimEnd('.')}. It runs on node {vm.NodeId} as before.");
        }

        await scheduler.EndMoveAsync(vm.Id, moved: true);
        Upsert(arrived.ToSummary());
        await _vms.FlushAsync();
        LogMovedLive(vm.Id, vm.NodeId, toNode, clock.ElapsedMilliseconds);
        await BestEffortAsync("let the VM go on its old node", vm.Id, source.MovedOutAsync);
        return arrived;
    }

    public async Task<IReadOnlyList<DrainedVm>> DrainNodeAsync(string nodeId)
    {
        if (!Formation.Identity.CallerContext.CurrentOrSystem.IsAdmin)
        {
            throw new FormationException(ErrorKind.PermissionDenied, "Only an admin drains a node.");
        }

        var scheduler = GrainFactory.GetGrain<ISchedulerGrain>(Key);
        await scheduler.SetDrainedAsync(nodeId, drained: true);
        var results = new List<DrainedVm>();
        foreach (var vm in Vms.Values.Where(v => v.NodeId == nodeId).OrderBy(v => v.Name, StringComparer.Ordinal).ToArray())
        {
            if (vm.State is not (VmState.Running or VmState.Paused))
            {
                results.Add(new DrainedVm(vm.Id, vm.Name, null,
                    $"{DrainedVm.StaysPrefix}it is {vm.State}, and only a running VM migrates (start it and drain again, or delete it)"));
                continue;
            }

            results.Add(await DrainOneAsync(vm, scheduler));
        }

        LogDrainedNode(nodeId, results.Count(r => r.MovedTo is not null), results.Count(r => r.MovedTo is null));
        return results;
    }

    /// <summary>Moves one VM of a drained node to the node of its driver with the most free memory that takes it.</summary>
    private async Task<DrainedVm> DrainOneAsync(VmSummary vm, ISchedulerGrain scheduler)
    {
        var nodes = await scheduler.ListNodesAsync();
        var driver = nodes.FirstOrDefault(n => n.NodeId == vm.NodeId)?.Info.HypervisorDriver;
        var targets = nodes
            .Where(n => n.NodeId != vm.NodeId && n.Health == NodeHealth.Healthy && !n.Drained && n.Info.HypervisorDriver == driver)
            .OrderByDescending(n => n.Free.MemoryMiB).ThenBy(n => n.NodeId, StringComparer.Ordinal);
        string? problem = null;
        foreach (var target in targets)
        {
            try
            {
                var moved = await MigrateVmAsync(vm.Id, target.NodeId);
                return new DrainedVm(vm.Id, vm.Name, moved.NodeId, null);
            }
            catch (FormationException ex) when (ex.Kind == ErrorKind.NoCapacity)
            {
                problem = ex.Message; // the next node may have room
            }
            catch (FormationException ex)
            {
                return new DrainedVm(vm.Id, vm.Name, null, ex.Message);
            }
        }

        return new DrainedVm(vm.Id, vm.Name, null, problem ?? $"no other healthy, undrained node runs the {driver} driver to take it");
    }

    /// <summary>The target must be a live node other than the VM's, running the driver the VM's snapshot is for.</summary>
    private static void RequireTarget(VmInfo vm, string toNode, IReadOnlyList<NodeStatus> nodes)
    {
        var node = nodes.FirstOrDefault(n => n.NodeId == toNode) ?? throw FormationException.NotFound(
            $"there is no node '{toNode}'; `form node list` lists the nodes.");
        if (node.Health != NodeHealth.Healthy)
        {
            throw new FormationException(ErrorKind.NodeUnavailable, $"node {toNode} is {node.Health}; a VM can only migrate to a healthy node.");
        }

        if (node.Info.HypervisorDriver != vm.HypervisorDriver)
        {
            throw FormationException.Invalid(
                $"VM {vm.Name} runs with the {vm.HypervisorDriver} driver and node {toNode} with {node.Info.HypervisorDriver}; its saved machine state " +
                "can only be restored by the same driver. Pick a node with that driver (`form node list`).");
        }

        if (vm.Spec.Disks.Count > 0 || vm.Spec.Nics.Count > 0)
        {
            // Disks: a snapshot holds the first disk only, and QEMU 7.2's live stream names disks by their drive id, which
            // hot-added ones (blockdev-add) do not have. NICs: their addresses are their node's.
            throw FormationException.Invalid(
                $"VM {vm.Name} has hot-added disks or NICs, which a migration does not carry yet (their files and addresses stay on its node); " +
                "remove them (`form vm disk remove`, `form vm nic remove`) and migrate again.");
        }

        if (vm.State is not (VmState.Running or VmState.Paused))
        {
            throw FormationException.Conflict(
                $"VM {vm.Name} is {vm.State}; only a running or paused VM migrates (start it first, or delete it and create it on node {toNode}).");
        }
    }

    private static async Task<VmInfo> WaitUntilRunningAsync(IVmGrain target)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var info = await target.WaitForAsync(VmState.Running, VmWaits.MaxPatience);
            if (info.State == VmState.Running)
            {
                return info;
            }

            if (info.State is VmState.Failed or VmState.Stopped or VmState.Deleted || deadline.Elapsed > ArrivalBudget)
            {
                throw new FormationException(ErrorKind.HostFailure,
                    $"on node {info.NodeId} it did not run ({info.State}{(info.Reason is null ? "" : ": " + info.Reason)})");
            }
        }
    }

    /// <summary>A failed move: the target lets go of what it started, the source restores the VM, the target's room is freed.</summary>
    private async Task UndoAsync(VmRef vm, string toNode, IVmGrain source, IVmGrain target, SnapshotInfo saved)
    {
        await BestEffortAsync("let go of the half-moved VM on the target", vm.Id, target.AbandonMoveInAsync);
        await BestEffortAsync("restore the VM on its node", vm.Id, () => source.AbortMoveOutAsync(saved.Id));
        await BestEffortAsync("free the room held on the target", vm.Id,
            () => GrainFactory.GetGrain<ISchedulerGrain>(Key).EndMoveAsync(vm.Id, moved: false));
        await ForgetSnapshotAsync(vm, saved, toNode);
    }

    /// <summary>The snapshot taken for the move is the move's alone: it goes from every node that has it.</summary>
    private async Task ForgetSnapshotAsync(VmRef vm, SnapshotInfo saved, params string[] nodes)
    {
        foreach (var node in nodes)
        {
            await BestEffortAsync($"delete the move's snapshot on node {node}", vm.Id,
                () => GrainFactory.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore(node)).DeleteAsync(saved.Id));
        }
    }

    private async Task BestEffortAsync(string what, string vmId, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception ex) when (ex is not FormationException { Kind: ErrorKind.NotFound })
        {
            LogMoveStepFailed(ex, what, vmId);
        }
        catch (FormationException)
        {
        }
    }

    private string Key => this.GetPrimaryKeyString();

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId} migrated from node {From} to node {To}: stopped after {StopMilliseconds} ms, running there after {Milliseconds} ms")]
    private partial void LogMoved(string vmId, string from, string to, long stopMilliseconds, long milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId} migrated live from node {From} to node {To}: running there after {Milliseconds} ms")]
    private partial void LogMovedLive(string vmId, string from, string to, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: migration from node {From} to node {To} failed; undoing it")]
    private partial void LogMoveFailed(Exception ex, string vmId, string from, string to);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} drained: {Moved} VM(s) moved, {Left} left on it")]
    private partial void LogDrainedNode(string nodeId, int moved, int left);

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: could not {What} after a migration")]
    private partial void LogMoveStepFailed(Exception ex, string what, string vmId);
}
