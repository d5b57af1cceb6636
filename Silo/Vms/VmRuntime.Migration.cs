using System.Diagnostics;
using System.Net;
using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Images;
using Formation.Silo.Hypervisors;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// Live migration (<see cref="IVmMigrationHost"/>): the new node prepares the VM as for a boot, with its address attached
/// but not claimed, and starts a process that waits for its state (<see cref="MigrationChannel"/>, overlay to overlay);
/// the old node sends the running VM into it. Once the guest runs on the new node, the node claims the address and has
/// every node sync its mesh at once, so traffic to the VM turns there; the old node's paused copy goes when the move ends.
/// </summary>
public sealed partial class VmRuntime : IVmMigrationHost
{
    /// <summary>How long the new node waits for the old node to open the stream.</summary>
    public static TimeSpan ArrivalWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a send may take before it is cancelled (the VM runs on where it was): pre-copy that never converges.</summary>
    public static TimeSpan SendLimit { get; set; } = TimeSpan.FromMinutes(5);

    public IVmMigrationHost? Migration => driver.MigratesLive ? this : null;

    public async Task<MigrationInbox?> ReceiveAsync(VmInfo vm, string fromNode, CancellationToken cancellationToken)
    {
        if (mesh.OverlayAddress is not { } here || await mesh.OverlayAddressOfAsync(fromNode) is not { } there)
        {
            return null; // without the mesh the stream would cross the underlay in the clear: the move goes by stop and copy
        }

        if ((await ImageOfAsync(vm, cancellationToken)).Manifest.RootFilesystem.Kind == ImageArtifactKind.Ext4Disk)
        {
            return null; // the live stream carries no disk (QemuProcess.Migration): a VM with one moves by stop and copy
        }

        var managed = _vms.GetOrAdd(vm.Id, id => new ManagedVm(Placeholder(vm), VmDirectory.For(paths.DataDirectory, id)));
        TaskCompletionSource launch;
        MigrationInbox inbox;
        await managed.Gate.WaitAsync(cancellationToken);
        try
        {
            if (managed.Process is { Exited.IsCompleted: false })
            {
                throw FormationException.Conflict($"VM {vm.Name} ({vm.Id}) already runs on node {node.Identity.NodeId}.");
            }

            var prepared = await PrepareAsync(vm, managed.Directory, cancellationToken, claimAddress: false);
            var channel = MigrationChannel.Open(IPAddress.Parse(here), IPAddress.Parse(there));
            managed.Incoming = channel;
            managed.Launch = prepared with { Incoming = true };
            managed.RestoringFrom = $"node {fromNode}";
            managed.Cloning = false;
            managed.Phase = VmPhase.Booting;
            managed.Problem = null;
            managed.GuestReboots = 0;
            SaveLaunch(managed, running: false); // nothing to adopt after a silo restart until it has arrived
            launch = managed.ScheduleLaunch();
            inbox = channel.Inbox;
        }
        catch (Exception ex)
        {
            managed.Gate.Release();
            if (managed.Process is null)
            {
                // Whatever the preparation set up (TAP, rules, files) goes; the address stays the VM's, on its old node.
                await DeleteAsync(vm.Id, keepAddress: true, CancellationToken.None);
            }

            throw ex is FormationException ? ex
                : new FormationException(ErrorKind.HostFailure, $"node {node.Identity.NodeId} could not prepare to receive VM {vm.Name}: {ex.Message}");
        }

        managed.Gate.Release();
        _ = Task.Run(() => BootAsync(managed, launch));
        return inbox;
    }

    public async Task SendAsync(VmInfo vm, MigrationInbox inbox, CancellationToken cancellationToken)
    {
        var managed = Get(vm.Id);
        await managed.Gate.WaitAsync(cancellationToken);
        try
        {
            if (managed.Phase != VmPhase.Running || managed.Process is not { Exited.IsCompleted: false } process)
            {
                throw FormationException.Conflict($"VM {vm.Name} ({vm.Id}) is not running on node {node.Identity.NodeId}; only a running VM migrates live.");
            }

            if (process is not IVmLiveMigration live)
            {
                throw FormationException.Invalid($"the {driver.Name} driver cannot send a running VM; it migrates by stop and copy.");
            }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            limit.CancelAfter(SendLimit);
            var clock = Stopwatch.StartNew();
            using var stream = await MigrationChannel.ConnectAsync(inbox, limit.Token);
            await live.SendLiveAsync(stream, limit.Token);
            managed.Paused = true; // until it is deleted here (moved) or continued (the move undone)
            LogSent(vm.Id, inbox.Address, clock.ElapsedMilliseconds);
        }
        catch (Exception ex) when (ex is not FormationException)
        {
            LogOperationFailed(ex, "send", vm.Id);
            var reason = ex is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? $"its memory did not converge within {SendLimit.TotalMinutes:0} min (the guest writes faster than the link carries)"
                : ex.Message;
            throw new FormationException(ErrorKind.HostFailure, $"sending VM {vm.Name} from node {node.Identity.NodeId} failed: {reason}");
        }
        finally
        {
            managed.Gate.Release();
        }
    }

    /// <summary>
    /// After the launch of an arriving VM: waits for the old node's stream and loads it; then claims the VM's address, has
    /// every node sync (traffic turns here), flushes the guest's neighbour table (the gateway is another bridge now) and
    /// reports Running. On failure the process goes and Failed is reported (unless the move was abandoned meanwhile).
    /// </summary>
    private async Task<bool> ArriveAsync(ManagedVm managed, IVmProcess process)
    {
        var vmId = managed.Launch.VmId;
        var from = managed.RestoringFrom;
        var channel = managed.Incoming!;
        try
        {
            using var stream = await channel.AcceptAsync(ArrivalWait, _stopping.Token);
            await ((IVmLiveMigration)process).ReceiveLiveAsync(stream, _stopping.Token);
        }
        catch (Exception ex)
        {
            await FailArrivalAsync(managed, process, ex);
            return false;
        }
        finally
        {
            managed.Incoming = null;
            await channel.DisposeAsync();
        }

        managed.Launch = managed.Launch with { Incoming = false };
        SaveLaunch(managed, running: true);
        if (managed.Launch.Network is { } net)
        {
            try
            {
                await network.ClaimAsync(net, _stopping.Token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogOperationFailed(ex, "claim the address of", vmId); // the mesh agent's next round publishes what it has
            }

            await Task.WhenAll(mesh.PublishNowAsync(_stopping.Token), ForgetNeighboursAsync(managed));
        }

        managed.ReadyTime = managed.BootClock.Elapsed;
        managed.Phase = VmPhase.Running;
        managed.RestoringFrom = null;
        LogArrived(vmId, from ?? "another node", managed.BootClock.ElapsedMilliseconds);
        await reporter.ReportAsync(vmId, new HostReport(VmState.Running,
            $"arrived live from {from} in {managed.BootClock.ElapsedMilliseconds} ms", managed.Launch.Network?.Address, managed.Launch.Ports));
        return true;
    }

    private async Task FailArrivalAsync(ManagedVm managed, IVmProcess process, Exception ex)
    {
        var vmId = managed.Launch.VmId;
        await managed.Gate.WaitAsync();
        try
        {
            if (managed.Phase == VmPhase.Deleting || !ReferenceEquals(managed.Process, process))
            {
                return; // the move was abandoned: the delete ended the process
            }

            managed.Phase = VmPhase.Failed;
            managed.Problem = $"it did not arrive from {managed.RestoringFrom}: {ex.Message}";
            managed.Process = null;
            await process.KillAsync(CancellationToken.None);
            await process.DisposeAsync();
        }
        finally
        {
            managed.Gate.Release();
        }

        LogOperationFailed(ex, "receive", vmId);
        await reporter.ReportAsync(vmId, new HostReport(VmState.Failed, managed.Problem, Unexpected: true));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: sent live to {Inbox} in {Milliseconds} ms; paused here until the move ends")]
    private partial void LogSent(string vmId, string inbox, long milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: arrived live from {From}, running {Milliseconds} ms after its process started")]
    private partial void LogArrived(string vmId, string from, long milliseconds);
}
