using Formation.Errors;
using Formation.Silo.Hypervisors;
using Formation.Silo.Platform;
using Formation.Silo.Snapshots;
using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Silo.Vms;

public sealed partial class VmRuntime
{
    /// <summary>
    /// Pause → machine state (<see cref="IVmProcess.SnapshotAsync"/>) → point-in-time disk copy → resume (or end the
    /// process with <paramref name="stop"/>), all under the VM's gate so no stop or reboot interleaves. Until the
    /// snapshot is committed it is a hidden draft: on failure the draft goes, the VM is resumed, and nothing is listed.
    /// </summary>
    public async Task<SnapshotInfo> SnapshotAsync(VmInfo vm, string name, bool stop, CancellationToken cancellationToken)
    {
        SnapshotKeys.RequireName(name);
        if (snapshots.Find(name, vm.Account) is { } existing && existing.Name == name)
        {
            throw FormationException.Conflict(
                $"a snapshot named '{name}' already exists on node {node.Identity.NodeId} ({existing.ShortId}); choose another --name or delete it first.");
        }

        var managed = Get(vm.Id);
        await managed.Gate.WaitAsync(cancellationToken);
        try
        {
            if (managed.Phase != VmPhase.Running || managed.Process is not { Exited.IsCompleted: false } process)
            {
                throw FormationException.Conflict(
                    $"VM {vm.Name} ({vm.Id}) is not running on node {node.Identity.NodeId}; only a running or paused VM can be snapshotted (start it first).");
            }

            var template = new SnapshotInfo("", name, vm.Id, vm.Name, node.Identity.NodeId, driver.Name, managed.Launch.VCpus,
                managed.Launch.MemoryMiB, managed.Launch.DiskGiB, vm.Spec.Image, DateTimeOffset.UtcNow, 0, 0, vm.Account);
            SnapshotTaken taken;
            try
            {
                taken = await SnapshotTaker.TakeAsync(process, managed.Launch.HasDisk ? managed.Directory.Disk : null, snapshots, template,
                    leavePaused: stop, cancellationToken);
            }
            catch (Exception ex) when (ex is not FormationException)
            {
                LogOperationFailed(ex, "snapshot", vm.Id);
                throw new FormationException(ErrorKind.HostFailure,
                    $"snapshot of VM {vm.Name} on node {node.Identity.NodeId} failed: {ex.Message}. The VM runs on and no snapshot was kept.");
            }

            var info = taken.Snapshot;
            LogSnapshotTaken(vm.Id, info.Id, name, (long)taken.Paused.TotalMilliseconds, info.StateBytes, info.DiskBytes);
            if (stop)
            {
                managed.Phase = VmPhase.Stopping;
                SaveLaunch(managed, running: false);
                await forwards.CloseAsync(vm.Id, cancellationToken);
                await process.KillAsync(cancellationToken); // its supervisor reports Stopped
            }

            return info;
        }
        finally
        {
            managed.Gate.Release();
        }
    }

    /// <summary>
    /// Checks the snapshot (this VM's, this driver's, this size), ends the VM's process, prepares the VM as for a boot,
    /// puts the snapshot's disk back and starts the VM from the machine state in the background; the VM's grain hears
    /// Running once the restored guest runs, or Failed.
    /// </summary>
    public async Task RestoreAsync(VmInfo vm, string snapshot, CancellationToken cancellationToken)
    {
        // Only the VM's account's snapshots: another account's is as missing here as everywhere else.
        var found = snapshots.Find(snapshot, vm.Account) ?? throw FormationException.NotFound(
            $"node {node.Identity.NodeId} (VM {vm.Name}'s node) has no snapshot '{snapshot}'; `form snapshot list --vm {vm.Name}` lists the VM's snapshots.");
        if (found.VmId != vm.Id)
        {
            throw FormationException.Invalid(
                $"snapshot '{snapshot}' ({found.ShortId}) is of VM {found.VmName} ({found.VmId}), not of VM {vm.Name}; restore it onto {found.VmName}, " +
                $"or make a new VM from it with `form vm create --from-snapshot {found.Name}`.");
        }

        RequireLoadable(found, vm, snapshot);
        await LaunchFromSnapshotAsync(vm, found, clone: false, cancellationToken);
    }

    /// <summary>
    /// A clone's first start: the snapshot (on this node, of this driver and size) loaded into the new VM's own directory,
    /// disk and TAP. The TAP stays off the bridge until the guest has its new identity (<see cref="ReportRestoredAsync"/>):
    /// until then the guest still believes it is the snapshot's VM, and must not answer for it.
    /// </summary>
    public async Task CloneAsync(VmInfo vm, CancellationToken cancellationToken)
    {
        var snapshot = vm.Spec.FromSnapshot ?? throw FormationException.Invalid($"VM {vm.Name} names no snapshot to clone.");
        var found = snapshots.Find(snapshot) ?? throw FormationException.NotFound(
            $"node {node.Identity.NodeId} has no snapshot '{snapshot}'; `form snapshot list` shows where each is.");
        RequireLoadable(found, vm, snapshot);
        await LaunchFromSnapshotAsync(vm, found, clone: true, cancellationToken);
    }

    private void RequireLoadable(SnapshotInfo found, VmInfo vm, string snapshot)
    {
        if (found.Driver != driver.Name)
        {
            throw FormationException.Invalid(
                $"snapshot '{snapshot}' was taken with the {found.Driver} driver and node {node.Identity.NodeId} runs VMs with {driver.Name}, which cannot load it.");
        }

        if (found.VCpus != vm.Spec.VCpus || found.MemoryMiB != vm.Spec.MemoryMiB)
        {
            throw FormationException.Invalid(
                $"snapshot '{snapshot}' is of a VM with {found.VCpus} vCPUs and {found.MemoryMiB} MiB, VM {vm.Name} now has {vm.Spec.VCpus} and {vm.Spec.MemoryMiB} MiB.");
        }
    }

    /// <summary>
    /// Ends the VM's process, prepares the VM as for a boot, puts the snapshot's disk in place and starts the VM from the
    /// machine state in the background; the VM's grain hears Running once the restored guest runs, or Failed.
    /// </summary>
    private async Task LaunchFromSnapshotAsync(VmInfo vm, SnapshotInfo found, bool clone, CancellationToken cancellationToken)
    {
        var managed = _vms.GetOrAdd(vm.Id, id => new ManagedVm(Placeholder(vm), VmDirectory.For(paths.DataDirectory, id)));
        TaskCompletionSource launch;
        await managed.Gate.WaitAsync(cancellationToken);
        try
        {
            managed.Phase = VmPhase.Rebooting; // the old process's exit is ours, not news
            if (managed.Process is { } process)
            {
                await process.KillAsync(cancellationToken);
                await process.DisposeAsync();
                managed.Process = null;
            }

            await forwards.CloseAsync(vm.Id, cancellationToken);
            var prepared = await PrepareAsync(vm, managed.Directory, cancellationToken);
            if (clone && prepared.Network is { } net)
            {
                await network.SetBridgedAsync(net.Tap, bridged: false, cancellationToken);
            }

            if (snapshots.Disk(found) is { } disk)
            {
                var partial = managed.Directory.Disk + ".restore";
                File.Delete(partial);
                await HostDisks.CopyAsync(disk, partial, cancellationToken);
                File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                File.Move(partial, managed.Directory.Disk, overwrite: true);
            }

            managed.Launch = prepared with { RestoreFrom = snapshots.MachineDirectory(found) };
            managed.RestoringFrom = found.Name;
            managed.Cloning = clone;
            managed.Phase = VmPhase.Booting;
            managed.Problem = null;
            managed.GuestReboots = 0;
            SaveLaunch(managed, running: true);
            launch = managed.ScheduleLaunch();
        }
        catch (Exception ex) when (ex is not FormationException)
        {
            managed.Phase = VmPhase.Failed;
            managed.Problem = $"{(clone ? "cloning" : "restoring")} snapshot {found.Name} failed: {ex.Message}";
            throw new FormationException(ErrorKind.HostFailure,
                $"{(clone ? "cloning snapshot " + found.Name + " into" : "restoring")} VM {vm.Name} on node {node.Identity.NodeId} failed: {ex.Message}");
        }
        finally
        {
            managed.Gate.Release();
        }

        _ = Task.Run(() => BootAsync(managed, launch));
    }

    /// <summary>After a launch from a snapshot: the guest runs at once (it booted long ago), so there is no readiness line to wait for.</summary>
    private async Task ReportRestoredAsync(ManagedVm managed)
    {
        var vmId = managed.Launch.VmId;
        var reason = $"restored from snapshot {managed.RestoringFrom} in {managed.BootClock.ElapsedMilliseconds} ms";
        if (managed.Cloning)
        {
            managed.Cloning = false;
            if (await GiveCloneItsIdentityAsync(managed) is not { } identity)
            {
                return;
            }

            reason = $"cloned from snapshot {managed.RestoringFrom} in {managed.BootClock.ElapsedMilliseconds} ms; the guest took {identity}";
        }
        else if (managed.Launch.Network is not null)
        {
            await ForgetNeighboursAsync(managed);
        }

        managed.ReadyTime = managed.BootClock.Elapsed;
        managed.Phase = VmPhase.Running;
        managed.RestoringFrom = null;
        LogRestored(vmId, managed.BootClock.ElapsedMilliseconds);
        await reporter.ReportAsync(vmId, new HostReport(VmState.Running, reason, managed.Launch.Network?.Address, managed.Launch.Ports));
    }

    /// <summary>Best effort, briefly: a guest without an agent relearns its neighbours when their entries go stale.</summary>
    private async Task ForgetNeighboursAsync(ManagedVm managed)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        budget.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            var (result, _, stderr) = await RunInGuestAsync(managed.Process!, GuestIdentity.ForgetNeighbours(), budget.Token);
            if (result.ExitCode != 0)
            {
                LogNeighboursKept(managed.Launch.VmId, (result.Error ?? stderr).Trim());
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            LogNeighboursKept(managed.Launch.VmId, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: the restored guest's neighbour table could not be flushed ({Problem}); it relearns it as entries go stale")]
    private partial void LogNeighboursKept(string vmId, string problem);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "VM {VmId}: snapshot {SnapshotId} ({Name}) taken, paused {Milliseconds} ms, state {StateBytes} B, disk {DiskBytes} B")]
    private partial void LogSnapshotTaken(string vmId, string snapshotId, string name, long milliseconds, long stateBytes, long diskBytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: restored from a snapshot, running after {Milliseconds} ms")]
    private partial void LogRestored(string vmId, long milliseconds);
}
