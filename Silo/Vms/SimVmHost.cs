using System.Collections.Concurrent;
using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Networking;
using Formation.Silo.Platform;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// The <c>sim</c> driver: simulated VMs for scale tests and benchmarks. Nothing boots; a VM "runs" after
/// <see cref="SimOptions.BootDelay"/>. It always reports itself as <c>sim</c>, and its VMs vanish with the silo.
/// </summary>
public sealed partial class SimVmHost(VmReporter reporter, SimOptions options, TimeProvider clock, IGrainFactory grains, NodeIdentity node) : INodeVmHost
{
    private readonly ConcurrentDictionary<string, VmState> _vms = new();
    private readonly ConcurrentDictionary<string, VmSpec> _specs = new();
    private readonly ConcurrentDictionary<string, (long Boots, TimeSpan? Ready)> _boots = new();

    public string DriverName => Hypervisors.DriverNames.Sim;

    /// <summary>Simulated VMs have no console.</summary>
    public IVmConsoleHost? Console => null;

    /// <summary>Simulated VMs have no guest agent.</summary>
    public IVmExecHost? Exec => null;

    /// <summary>Nothing to adopt: simulated VMs vanish with the silo.</summary>
    public Task AdoptAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PrepareNetworkAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task ProvisionAsync(VmInfo vm, CancellationToken cancellationToken)
    {
        _vms[vm.Id] = VmState.Provisioning;
        _specs[vm.Id] = vm.Spec;
        BootDevices(vm);
        Booted(vm.Id);
        string? address = null;
        if (options.Addresses)
        {
            var subnet = await grains.GetGrain<INetworkGrain>(GrainKeys.Cluster).AssignSubnetAsync(node.NodeId, null, []);
            address = await grains.GetGrain<IAddressPoolGrain>(node.NodeId).AllocateAsync(vm.Id, subnet);
        }

        _ = CompleteLaterAsync(vm.Id, VmState.Provisioning, VmState.Running, "simulated guest ready", address);
    }

    public Task StopAsync(string vmId, CancellationToken cancellationToken)
    {
        Require(vmId);
        _vms[vmId] = VmState.Stopping;
        _ = CompleteLaterAsync(vmId, VmState.Stopping, VmState.Stopped, "simulated guest powered off");
        return Task.CompletedTask;
    }

    public Task PauseAsync(string vmId, CancellationToken cancellationToken)
    {
        Require(vmId);
        _vms[vmId] = VmState.Paused;
        return Task.CompletedTask;
    }

    public Task ResumeAsync(string vmId, CancellationToken cancellationToken)
    {
        Require(vmId);
        _vms[vmId] = VmState.Running;
        return Task.CompletedTask;
    }

    public Task RebootAsync(string vmId, CancellationToken cancellationToken)
    {
        Require(vmId);
        _vms[vmId] = VmState.Provisioning;
        Booted(vmId);
        _ = CompleteLaterAsync(vmId, VmState.Provisioning, VmState.Running, "simulated guest ready after reboot");
        return Task.CompletedTask;
    }

    public async Task DeleteAsync(string vmId, bool keepAddress, CancellationToken cancellationToken)
    {
        _vms.TryRemove(vmId, out _);
        _devices.TryRemove(vmId, out _);
        _specs.TryRemove(vmId, out _);
        _boots.TryRemove(vmId, out _);
        if (options.Addresses && !keepAddress)
        {
            await grains.GetGrain<IAddressPoolGrain>(node.NodeId).ReleaseAsync(vmId);
        }
    }

    /// <summary>Simulated VMs have no process and no TAP: they count by state, reservation and (simulated) boots only.</summary>
    public IReadOnlyList<VmCensusEntry> Census() =>
        [.. _vms.Select(v => (v, boots: _boots.GetValueOrDefault(v.Key))).Select(x => _specs.TryGetValue(x.v.Key, out var spec)
            ? new VmCensusEntry(x.v.Key, spec.Name, x.v.Value, null, null, spec.VCpus, spec.MemoryMiB, spec.DiskGiB, x.boots.Boots, 0, x.boots.Ready)
            : new VmCensusEntry(x.v.Key, x.v.Key, x.v.Value, null, null, 0, 0, 0, x.boots.Boots, 0, x.boots.Ready))];

    /// <summary>A simulated boot: counted, its ready time set when it completes (a simulated VM never restarts unasked).</summary>
    private void Booted(string vmId) => _boots.AddOrUpdate(vmId, _ => (1, null), (_, b) => (b.Boots + 1, b.Ready));

    public Task<Formation.Snapshots.SnapshotInfo> SnapshotAsync(VmInfo vm, string name, bool stop, CancellationToken cancellationToken) =>
        throw FormationException.Invalid($"node {node.NodeId} simulates its VMs (driver sim): a simulated VM has no memory or disk to snapshot; use the qemu or kvm driver.");

    public Task RestoreAsync(VmInfo vm, string snapshot, CancellationToken cancellationToken) =>
        throw FormationException.Invalid($"node {node.NodeId} simulates its VMs (driver sim): there is nothing to restore; use the qemu or kvm driver.");

    public Task CloneAsync(VmInfo vm, CancellationToken cancellationToken) =>
        throw FormationException.Invalid($"node {node.NodeId} simulates its VMs (driver sim): there is no snapshot to clone; use the qemu or kvm driver.");

    public Task<HostVmStatus?> InspectAsync(string vmId, CancellationToken cancellationToken) =>
        Task.FromResult(_vms.TryGetValue(vmId, out var s) ? new HostVmStatus(s, "simulated", null) : null);

    private void Require(string vmId)
    {
        if (!_vms.ContainsKey(vmId))
        {
            throw new FormationException(ErrorKind.HostFailure, $"The sim driver holds no VM {vmId}.");
        }
    }

    private async Task CompleteLaterAsync(string vmId, VmState from, VmState to, string reason, string? address = null)
    {
        var started = clock.GetUtcNow();
        if (options.BootDelay > TimeSpan.Zero)
        {
            await Task.Delay(options.BootDelay, clock);
        }
        else
        {
            await Task.Yield();
        }

        if (_vms.TryUpdate(vmId, to, from))
        {
            if (to == VmState.Running && _boots.TryGetValue(vmId, out var boots))
            {
                _boots[vmId] = (boots.Boots, clock.GetUtcNow() - started);
            }

            await reporter.ReportAsync(vmId, new HostReport(to, reason, address));
        }
    }
}
