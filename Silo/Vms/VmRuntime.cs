using System.Collections.Concurrent;
using System.Text.Json;
using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Silo.Hypervisors;
using Formation.Silo.Dns;
using Formation.Silo.Network;
using Formation.Silo.Nodes;
using Formation.Silo.Pack;
using Formation.Silo.Platform;
using Formation.Silo.Snapshots;
using Formation.Vms;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Vms;

/// <summary>
/// Runs this node's VMs on a real hypervisor driver: prepares each VM's directory (boot artifacts, disk, TAP and
/// address), starts its process, reports Running only when the guest prints its readiness line, supervises the
/// process, and re-adopts running VMs after a silo restart. Grains reach it through <see cref="IVmHost"/>.
/// </summary>
public sealed partial class VmRuntime(
    IHypervisorDriver driver,
    IEnumerable<IHypervisorDriver> drivers,
    ImageStore images,
    SnapshotStore snapshots,
    HostNetwork network,
    MeshAgent mesh,
    EgressNat egress,
    PortForwards forwards,
    VmReporter reporter,
    NodePaths paths,
    LocalNode node,
    IOptions<VmRuntimeOptions> options,
    IOptions<DnsOptions> dns,
    ILogger<VmRuntime> logger) : INodeVmHost, IVmConsoleHost
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly ConcurrentDictionary<string, ManagedVm> _vms = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    public string DriverName => driver.Name;

    public IVmConsoleHost? Console => this;

    private ExecSessions? _exec;

    public IVmExecHost? Exec => LazyInitializer.EnsureInitialized(ref _exec, () => new ExecSessions(RunningForExecAsync, Options, logger));

    /// <summary>Sets up the node's bridge; a failure is logged (VMs then fail to start with the reason) and does not stop the silo.</summary>
    public async Task PrepareNetworkAsync(CancellationToken cancellationToken)
    {
        if (!network.Enabled)
        {
            return;
        }

        try
        {
            await network.EnsureBridgeAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            LogBridgeFailed(ex, network.BridgeName);
        }
    }

    private VmRuntimeOptions Options => options.Value;

    public async Task ProvisionAsync(VmInfo vm, CancellationToken cancellationToken)
    {
        var managed = _vms.GetOrAdd(vm.Id, id => new ManagedVm(Placeholder(vm), VmDirectory.For(paths.DataDirectory, id)));
        TaskCompletionSource launch;
        await managed.Gate.WaitAsync(cancellationToken);
        try
        {
            if (managed.Process is { Exited.IsCompleted: false })
            {
                return; // already running (a repeated request)
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();
            managed.Launch = await PrepareAsync(vm, managed.Directory, cancellationToken);
            LogPrepared(vm.Id, clock.ElapsedMilliseconds);
            managed.Phase = VmPhase.Booting;
            managed.Problem = null;
            managed.GuestReboots = 0;
            SaveLaunch(managed, running: true);
            launch = managed.ScheduleLaunch();
        }
        catch (Exception ex) when (ex is not FormationException)
        {
            throw new FormationException(ErrorKind.HostFailure, $"preparing VM {vm.Name} on node {node.Identity.NodeId} failed: {ex.Message}");
        }
        finally
        {
            managed.Gate.Release();
        }

        _ = Task.Run(() => BootAsync(managed, launch));
    }

    public async Task StopAsync(string vmId, CancellationToken cancellationToken)
    {
        var managed = Get(vmId);
        IVmProcess? process;
        await managed.Gate.WaitAsync(cancellationToken);
        try
        {
            process = managed.Process;
            managed.Phase = VmPhase.Stopping;
            SaveLaunch(managed, running: false);
        }
        finally
        {
            managed.Gate.Release();
        }

        await forwards.CloseAsync(vmId, cancellationToken);

        if (process is null || process.Exited.IsCompleted)
        {
            managed.Phase = VmPhase.Stopped;

            // Not awaited: the caller is the VM's grain, which cannot take the report until this call returns.
            _ = Task.Run(() => reporter.ReportAsync(vmId, new HostReport(VmState.Stopped, "not running")));
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                var exit = await process.ShutdownAsync(Options.StopTimeout, _stopping.Token);
                LogStopped(vmId, exit.Kind, exit.Detail);
            }
            catch (Exception ex)
            {
                LogOperationFailed(ex, "stop", vmId);
                ProcessInfo.Kill(process.Pid);
            }
        });
    }

    public async Task PauseAsync(string vmId, CancellationToken cancellationToken)
    {
        await Running(vmId).PauseAsync(cancellationToken);
        Get(vmId).Paused = true;
    }

    public async Task ResumeAsync(string vmId, CancellationToken cancellationToken)
    {
        await Running(vmId).ResumeAsync(cancellationToken);
        Get(vmId).Paused = false;
    }

    public IReadOnlyList<VmCensusEntry> Census()
    {
        var census = new List<VmCensusEntry>(_vms.Count);
        foreach (var managed in _vms.Values)
        {
            var launch = managed.Launch;
            var alive = managed.Process is { Exited.IsCompleted: false } ? managed.Process : null;
            var state = (managed.Phase, alive) switch
            {
                (VmPhase.Running, not null) => managed.Paused ? VmState.Paused : VmState.Running,
                (VmPhase.Booting or VmPhase.Rebooting, _) => VmState.Provisioning,
                (VmPhase.Stopping, not null) => VmState.Stopping,
                (VmPhase.Deleting, _) => VmState.Deleting,
                _ => managed.Problem is null ? VmState.Stopped : VmState.Failed,
            };
            census.Add(new VmCensusEntry(launch.VmId, launch.Name, state, alive?.Pid, launch.Network?.Tap, launch.VCpus, launch.MemoryMiB, launch.DiskGiB,
                managed.Boots, managed.Restarts, managed.ReadyTime));
        }

        return census;
    }

    public async Task RebootAsync(string vmId, CancellationToken cancellationToken)
    {
        var managed = Get(vmId);
        TaskCompletionSource launch;
        await managed.Gate.WaitAsync(cancellationToken);
        try
        {
            managed.Phase = VmPhase.Rebooting;
            if (managed.Process is { } process)
            {
                await process.KillAsync(cancellationToken);
                await process.DisposeAsync();
                managed.Process = null;
            }

            managed.Phase = VmPhase.Booting;
            launch = managed.ScheduleLaunch();
        }
        finally
        {
            managed.Gate.Release();
        }

        _ = Task.Run(() => BootAsync(managed, launch));
    }

    /// <summary>Ends the VM's process and removes its files; returns once no launch of it can start any more.</summary>
    public async Task DeleteAsync(string vmId, bool keepAddress, CancellationToken cancellationToken)
    {
        var managed = _vms.GetOrAdd(vmId, id => new ManagedVm(Placeholder(id), VmDirectory.For(paths.DataDirectory, id)));
        Task pendingLaunch;
        await managed.Gate.WaitAsync(cancellationToken);
        try
        {
            managed.Phase = VmPhase.Deleting;
            if (managed.Incoming is { } incoming)
            {
                await incoming.DisposeAsync(); // an arrival still waiting for its stream stops waiting
            }

            if (managed.Process is { } process)
            {
                await process.KillAsync(cancellationToken);
                await process.DisposeAsync();
                managed.Process = null;
            }

            if (network.Enabled)
            {
                await forwards.CloseAsync(vmId, cancellationToken);
                if (managed.Launch.Network is { } attached)
                {
                    await egress.SetEgressAsync(attached.Address, allowed: true, cancellationToken);
                }

                await DetachNicsAsync(managed.Launch, cancellationToken);
                await network.DetachAsync(vmId, cancellationToken, keepAddress);
            }

            foreach (var path in new[] { managed.Directory.Path, managed.Directory.RunPath })
            {
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }
            }

            _vms.TryRemove(vmId, out _);
            pendingLaunch = managed.LaunchSettled;
            LogDeleted(vmId);
        }
        finally
        {
            managed.Gate.Release();
        }

        // A launch scheduled before the delete may still wait for the gate; it sees Deleting and gives up. Waiting for
        // it means that when this returns, no process of the VM runs and none can start.
        await pendingLaunch.WaitAsync(cancellationToken);
    }

    public async Task<HostVmStatus?> InspectAsync(string vmId, CancellationToken cancellationToken)
    {
        if (!_vms.TryGetValue(vmId, out var managed))
        {
            return null;
        }

        var address = managed.Launch.Network?.Address;
        var ports = managed.Launch.Ports;
        if (managed.Process is { Exited.IsCompleted: false } process)
        {
            return managed.Phase == VmPhase.Running
                ? new HostVmStatus(await process.IsPausedAsync(cancellationToken) ? VmState.Paused : VmState.Running, "running", address, ports)
                : new HostVmStatus(VmState.Provisioning, "booting", address, ports);
        }

        return managed.Problem is { } problem
            ? new HostVmStatus(VmState.Failed, problem, address, ports)
            : new HostVmStatus(VmState.Stopped, "not running", address, ports);
    }

    /// <summary>Bytes of the VM's console log from <paramref name="offset"/>; the log survives reboots and silo restarts, up to its cap.</summary>
    public Task<ConsoleChunk> ReadConsoleAsync(string vmId, long offset, int max, CancellationToken cancellationToken) =>
        ConsoleLog.ReadAsync(Get(vmId).Directory.ConsoleLog, offset, max, cancellationToken);

    public long ConsoleLength(string vmId) => ConsoleLog.Length(Get(vmId).Directory.ConsoleLog);

    public Task WriteConsoleAsync(string vmId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Running(vmId).WriteConsoleAsync(data, cancellationToken);

    private ManagedVm Get(string vmId) =>
        _vms.TryGetValue(vmId, out var managed) ? managed
            : throw new FormationException(ErrorKind.HostFailure, $"node {node.Identity.NodeId} holds no files for VM {vmId}.");

    private IVmProcess Running(string vmId) =>
        Get(vmId).Process is { Exited.IsCompleted: false } process ? process
            : throw new FormationException(ErrorKind.Conflict, $"VM {vmId} has no running process on node {node.Identity.NodeId}.");

    /// <summary>The VM's process when a command can run in it now; otherwise says why not and what to do.</summary>
    private async Task<IVmProcess> RunningForExecAsync(string vmId, CancellationToken cancellationToken)
    {
        if (!_vms.TryGetValue(vmId, out var managed) || managed.Process is not { Exited.IsCompleted: false } process)
        {
            throw FormationException.Conflict($"VM {vmId} is not running: start it (form vm start) and try again.");
        }

        if (managed.Phase != VmPhase.Running)
        {
            throw FormationException.Conflict($"VM {vmId} is still booting: try again once it is Running.");
        }

        if (await process.IsPausedAsync(cancellationToken))
        {
            throw FormationException.Conflict($"VM {vmId} is paused: resume it (form vm resume) first.");
        }

        return process;
    }

    private VmLaunch Placeholder(VmInfo vm) => Placeholder(vm.Id);

    private VmLaunch Placeholder(string vmId) => new(vmId, vmId, driver.Name, 1, 64, "", false, false, null, [], false);

    private void SaveLaunch(ManagedVm managed, bool running) => SaveLaunch(managed, running, managed.Launch.RestoreFrom);

    private void SaveLaunch(ManagedVm managed, bool running, string? restoreFrom)
    {
        managed.Launch = managed.Launch with { Running = running, RestoreFrom = restoreFrom };
        Directory.CreateDirectory(managed.Directory.Path);
        var temp = managed.Directory.LaunchRecord + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(managed.Launch, Json));
        File.Move(temp, managed.Directory.LaunchRecord, overwrite: true);
    }
}
