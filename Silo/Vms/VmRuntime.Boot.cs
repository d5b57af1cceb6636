using System.Text.Json;
using Formation.Errors;
using Formation.Formfiles;
using Formation.Images;
using Formation.Silo.Hypervisors;
using Formation.Silo.Pack;
using Formation.Vms;

namespace Formation.Silo.Vms;

public sealed partial class VmRuntime
{
    /// <summary>Reboots the guest may do on its own before it is considered to be in a boot loop.</summary>
    private const int MaxGuestRebootsBeforeReady = 3;

    private async Task<VmLaunch> PrepareAsync(VmInfo vm, VmDirectory directory, CancellationToken cancellationToken, bool claimAddress = true)
    {
        var image = await ImageOfAsync(vm, cancellationToken);
        var kernel = image.Manifest.Kernel?.Path is { } path && File.Exists(path) ? path : GuestKernelLocator.TryResolve()
            ?? throw new FormationException(ErrorKind.HostFailure, $"node {node.Identity.NodeId} has no Formation guest kernel; run scripts/build-guest-kernel.");
        await VmArtifacts.PrepareAsync(image, kernel, vm.Spec.DiskGiB, directory, cancellationToken);
        // A VM that has an address keeps it: the same on its own node, and a migrated VM's home address on another one.
        var net = network.Enabled ? await network.AttachAsync(vm.Id, vm.Account, cancellationToken, homeAddress: vm.Address, claim: claimAddress) : null;
        if (net is null && vm.Spec.Ports.Count > 0)
        {
            throw FormationException.Invalid($"VM {vm.Name} publishes ports but node {node.Identity.NodeId} runs without VM networking; create it without --publish.");
        }

        if (net is not null)
        {
            await EnsureNoEgressRulesAsync(vm.Spec.NoEgress, cancellationToken);
            await egress.SetEgressAsync(net.Address, allowed: !vm.Spec.NoEgress, cancellationToken);
            await forwards.OpenAsync(vm.Id, net.Address, vm.Spec.Ports, checkHost: true, cancellationToken);
        }

        var cmdline = string.Join(' ', new[]
        {
            image.Manifest.KernelCommandLine,
            net?.KernelArgument(vm.Name, dns.Value.GuestNameserver(net.Gateway)),
            "panic=-1",
            $"formation.vm={vm.Id}",
            vm.Spec.Console is { } console ? $"{ConsoleModes.KernelParameter}={ConsoleModes.Word(console)}" : null,
        }.Where(p => !string.IsNullOrWhiteSpace(p)));
        var ports = image.Manifest.ExposedPorts.Select(p => p.ToString()).ToArray();
        return await WithDevicesAsync(new VmLaunch(vm.Id, vm.Name, driver.Name, vm.Spec.VCpus, vm.Spec.MemoryMiB, cmdline,
            image.Manifest.RootFilesystem.Kind == ImageArtifactKind.Initramfs,
            image.Manifest.RootFilesystem.Kind == ImageArtifactKind.Ext4Disk, net, ports, Running: true, vm.Spec.DiskGiB)
        {
            ConsoleLogCap = Options.ConsoleLogCap(),
            Publish = vm.Spec.Ports,
            NoEgress = vm.Spec.NoEgress,
            Account = vm.Account,
        }, vm, directory, cancellationToken);
    }

    /// <summary>The VM's image in this node's store.</summary>
    private async Task<ImageStoreEntry> ImageOfAsync(VmInfo vm, CancellationToken cancellationToken)
    {
        var reference = vm.Spec.Image
            ?? throw FormationException.Invalid($"VM {vm.Name} has no image; create it with --image (build one with `form pack build`).");
        return await images.GetAsync(vm.Spec.ImageDigest ?? ImageReference.TryNormalize(reference, out _) ?? reference, cancellationToken)
            ?? throw FormationException.NotFound($"image '{reference}' is not on node {node.Identity.NodeId} (it was removed after it was fetched); start the VM again to fetch it.");
    }

    /// <summary>
    /// Starts the process and waits for the guest's readiness line; then supervises it. <paramref name="launch"/>
    /// completes once the launch has had its turn at the gate (see <see cref="ManagedVm.LaunchSettled"/>).
    /// </summary>
    private async Task BootAsync(ManagedVm managed, TaskCompletionSource launch)
    {
        var vmId = managed.Launch.VmId;
        IVmProcess process;
        string? failure = null;
        var restored = false;
        var arriving = false;

        // The launch holds the VM's gate: a delete, stop or reboot asked for meanwhile waits for the process to exist
        // (and then ends it) instead of missing it and leaving it running.
        await managed.Gate.WaitAsync();
        try
        {
            if (managed.Phase != VmPhase.Booting)
            {
                return; // stopped or deleted before the launch
            }

            managed.BootClock.Restart();
            managed.Paused = false;
            managed.BootOffset = ConsoleLog.Length(managed.Directory.ConsoleLog);
            process = await driver.LaunchAsync(managed.Launch, managed.Directory, _stopping.Token);
            managed.Process = process;
            CountBoot(managed);
            arriving = managed.Launch.Incoming;
            if (managed.Launch.RestoreFrom is not null)
            {
                // Started from a snapshot once; a later reboot or restart boots afresh.
                restored = true;
                SaveLaunch(managed, running: true, restoreFrom: null);
            }
        }
        catch (Exception ex)
        {
            LogOperationFailed(ex, "launch", vmId);
            if (managed.Launch.RestoreFrom is not null)
            {
                SaveLaunch(managed, running: false, restoreFrom: null);
            }

            managed.Phase = VmPhase.Failed;
            managed.Problem = failure = $"the hypervisor could not start it: {ex.Message}";
            process = null!;
        }
        finally
        {
            managed.Gate.Release();
            launch.TrySetResult();
        }

        if (failure is not null)
        {
            // Reported outside the gate: the VM grain may answer with a restart, which needs the gate.
            await reporter.ReportAsync(vmId, new HostReport(VmState.Failed, failure, Unexpected: true));
            return;
        }

        if (arriving)
        {
            if (!await ArriveAsync(managed, process))
            {
                return;
            }
        }
        else if (restored)
        {
            await ReportRestoredAsync(managed);
        }
        else
        {
            await WaitUntilReadyAsync(managed, process);
        }

        await SuperviseAsync(managed, process);
    }

    private async Task WaitUntilReadyAsync(ManagedVm managed, IVmProcess process)
    {
        var vmId = managed.Launch.VmId;
        bool ready;
        try
        {
            ready = await ConsoleLog.WaitForAsync(managed.Directory.ConsoleLog, managed.BootOffset, Options.ReadyLine,
                Options.BootTimeout, process.Exited, _stopping.Token);
        }
        catch (TimeoutException)
        {
            managed.ExitedUnasked = true;
            managed.Phase = VmPhase.Failed;
            managed.Problem = $"the guest did not report ready within {Options.BootTimeout.TotalSeconds:0} s. Console tail:\n{ConsoleLog.Tail(managed.Directory.ConsoleLog)}";
            await process.KillAsync(CancellationToken.None);
            await reporter.ReportAsync(vmId, new HostReport(VmState.Failed, managed.Problem, managed.Launch.Network?.Address, Unexpected: true));
            return;
        }

        if (ready && managed.Phase == VmPhase.Booting)
        {
            managed.ReadyTime = managed.BootClock.Elapsed;
            managed.Phase = VmPhase.Running;
            LogReady(vmId, managed.Launch.Network?.Address ?? "no network");
            var reason = $"guest ready after {managed.BootClock.ElapsedMilliseconds} ms";
            await ApplyBalloonAsync(managed, process);
            await reporter.ReportAsync(vmId, new HostReport(VmState.Running, reason, managed.Launch.Network?.Address, managed.Launch.Ports));
        }
    }

    /// <summary>Reads a process exit in the light of what the runtime was doing, and tells the VM grain.</summary>
    private async Task SuperviseAsync(ManagedVm managed, IVmProcess process)
    {
        var exit = await process.Exited;
        var vmId = managed.Launch.VmId;
        await managed.Gate.WaitAsync();
        HostReport? report;
        TaskCompletionSource? bootAgain = null;
        try
        {
            if (!ReferenceEquals(managed.Process, process))
            {
                return; // replaced by a reboot
            }

            managed.Process = null;
            await process.DisposeAsync();
            var wasRunning = managed.Phase == VmPhase.Running;
            if (managed.Phase is VmPhase.Booting or VmPhase.Running)
            {
                managed.ExitedUnasked = true; // not a stop, delete or reboot the runtime asked for: the next boot is a restart
            }

            switch (managed.Phase)
            {
                case VmPhase.Deleting or VmPhase.Rebooting or VmPhase.Failed:
                    return;
                case VmPhase.Stopping:
                    managed.Phase = VmPhase.Stopped;
                    report = new HostReport(VmState.Stopped, exit.Kind == VmExitKind.Killed ? "stopped (killed at the stop deadline)" : "stopped");
                    break;
                case VmPhase.Booting or VmPhase.Running when exit.Kind == VmExitKind.Reboot &&
                                                           (wasRunning || managed.GuestReboots < MaxGuestRebootsBeforeReady):
                    managed.GuestReboots = wasRunning ? 1 : managed.GuestReboots + 1;
                    managed.Phase = VmPhase.Booting;
                    report = new HostReport(VmState.Provisioning, "the guest rebooted");
                    bootAgain = managed.ScheduleLaunch();
                    break;
                case VmPhase.Running when exit.Kind == VmExitKind.PowerOff:
                    managed.Phase = VmPhase.Stopped;
                    SaveLaunch(managed, running: false);
                    report = new HostReport(VmState.Stopped, "the guest powered off", Unexpected: true);
                    break;
                default:
                    managed.Phase = VmPhase.Failed;
                    managed.Problem = $"{exit.Detail}{(wasRunning ? "" : " during boot")}. Console tail:\n{ConsoleLog.Tail(managed.Directory.ConsoleLog)}";
                    SaveLaunch(managed, running: false);
                    report = new HostReport(VmState.Failed, managed.Problem, Unexpected: true);
                    break;
            }
        }
        finally
        {
            managed.Gate.Release();
        }

        LogExited(vmId, exit.Kind, exit.Detail);
        await reporter.ReportAsync(vmId, report);
        if (bootAgain is not null)
        {
            await BootAsync(managed, bootAgain);
        }
    }

    /// <summary>Counts a started process (a restart when the last one ended unasked) and saves the counts with the VM.</summary>
    private void CountBoot(ManagedVm managed)
    {
        managed.Boots++;
        if (managed.ExitedUnasked)
        {
            managed.Restarts++;
            managed.ExitedUnasked = false;
        }

        try
        {
            new VmBootCounts(managed.Boots, managed.Restarts).Write(managed.Directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogOperationFailed(ex, "save the boot counts of", managed.Launch.VmId);
        }
    }

    /// <summary>
    /// At silo start: finds every VM directory, re-attaches to the processes that still run, and remembers the ones
    /// whose process vanished so their grains learn they Failed.
    /// </summary>
    public async Task AdoptAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(paths.Vms))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(paths.Vms))
        {
            var directory = new VmDirectory(dir);
            if (!File.Exists(directory.LaunchRecord))
            {
                continue;
            }

            VmLaunch launch;
            try
            {
                launch = JsonSerializer.Deserialize<VmLaunch>(File.ReadAllText(directory.LaunchRecord), Json)!;
            }
            catch (JsonException ex)
            {
                LogOperationFailed(ex, "read the launch record of", directory.VmId);
                continue;
            }

            // The cap configured now applies to logs the silo trims (qemu); formation-vmm keeps its own until its next boot.
            launch = launch with { ConsoleLogCap = Options.ConsoleLogCap() };
            var counts = VmBootCounts.Read(directory);
            var managed = new ManagedVm(launch, directory) { Boots = counts.Boots, Restarts = counts.Restarts };
            _vms[launch.VmId] = managed;
            if (!launch.Running)
            {
                continue;
            }

            var owner = drivers.FirstOrDefault(d => d.Name == launch.Driver);
            var process = owner is null ? null : await TryAdoptAsync(owner, launch, directory, cancellationToken);
            if (process is null)
            {
                managed.Phase = VmPhase.Failed;
                managed.Problem = "its process exited while the silo was down. Console tail:\n" + ConsoleLog.Tail(directory.ConsoleLog);
                managed.ExitedUnasked = true;
                SaveLaunch(managed, running: false);
                LogVanished(launch.VmId);
                continue;
            }

            managed.Process = process;
            managed.Phase = VmPhase.Running;
            await RestoreNetworkRulesAsync(launch, cancellationToken);
            LogAdopted(launch.VmId, process.Pid);
            _ = Task.Run(() => SuperviseAsync(managed, process), CancellationToken.None);
        }
    }

    /// <summary>
    /// A re-adopted VM gets its bridge entry, egress setting and published ports back (a failure is logged, not fatal;
    /// without its entry the TAP sends nothing).
    /// </summary>
    private async Task RestoreNetworkRulesAsync(VmLaunch launch, CancellationToken cancellationToken)
    {
        if (launch.Network is not { } net)
        {
            return;
        }

        try
        {
            await network.ReadmitAsync(net, launch.Account ?? Formation.Identity.AccountNames.Admin, cancellationToken);
            await ReadmitNicsAsync(launch, net, cancellationToken);
            await EnsureNoEgressRulesAsync(launch.NoEgress, cancellationToken);
            await egress.SetEgressAsync(net.Address, allowed: !launch.NoEgress, cancellationToken);
            await forwards.OpenAsync(launch.VmId, net.Address, launch.Publish, checkHost: false, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogOperationFailed(ex, "restore the network rules of", launch.VmId);
        }
    }

    /// <summary>A no-egress VM on a node without the mesh's egress table still gets its drops (the filter-only table).</summary>
    private Task EnsureNoEgressRulesAsync(bool noEgress, CancellationToken cancellationToken) =>
        noEgress && network.Subnet is { } subnet ? egress.EnsureFilterAsync(subnet, network.BridgeName, cancellationToken) : Task.CompletedTask;

    private async Task<IVmProcess?> TryAdoptAsync(IHypervisorDriver owner, VmLaunch launch, VmDirectory directory, CancellationToken cancellationToken)
    {
        try
        {
            return await owner.AdoptAsync(launch, directory, cancellationToken);
        }
        catch (Exception ex)
        {
            LogOperationFailed(ex, "adopt", launch.VmId);
            return null;
        }
    }
}
