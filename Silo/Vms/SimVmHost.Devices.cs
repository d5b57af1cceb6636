using System.Collections.Concurrent;
using Formation.Grains.Hosting;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// Simulated hotplug: a simulated VM takes any device and balloon size at once and remembers what it holds, so the VM
/// grain's bookkeeping (ids, limits, the spec a restart boots from) is testable without a guest.
/// </summary>
public sealed partial class SimVmHost : IVmDeviceHost
{
    private readonly ConcurrentDictionary<string, ImmutableDevices> _devices = new();

    public IVmDeviceHost? Devices => this;

    /// <summary>The devices a simulated VM holds now (what a guest would see).</summary>
    public (IReadOnlyList<string> Disks, IReadOnlyList<string> Nics, long? MemoryMiB) DevicesOf(string vmId) =>
        _devices.TryGetValue(vmId, out var d) ? (d.Disks, d.Nics, d.MemoryMiB) : ([], [], null);

    public Task AddDiskAsync(VmInfo vm, VmDisk disk, CancellationToken cancellationToken)
    {
        RequireRunning(vm.Id);
        Change(vm.Id, d => d with { Disks = [.. d.Disks, disk.Id] });
        return Task.CompletedTask;
    }

    public Task RemoveDiskAsync(VmInfo vm, string diskId, CancellationToken cancellationToken)
    {
        RequireRunning(vm.Id);
        Change(vm.Id, d => d with { Disks = [.. d.Disks.Where(x => x != diskId)] });
        return Task.CompletedTask;
    }

    public Task<VmNic> AddNicAsync(VmInfo vm, string nicId, CancellationToken cancellationToken)
    {
        RequireRunning(vm.Id);
        Change(vm.Id, d => d with { Nics = [.. d.Nics, nicId] });
        return Task.FromResult(new VmNic(nicId, Network.HostNetwork.MacFor(vm.Id + "/" + nicId), null));
    }

    public Task RemoveNicAsync(VmInfo vm, string nicId, CancellationToken cancellationToken)
    {
        RequireRunning(vm.Id);
        Change(vm.Id, d => d with { Nics = [.. d.Nics.Where(x => x != nicId)] });
        return Task.CompletedTask;
    }

    public Task<VmMemory> SetMemoryAsync(VmInfo vm, long targetMiB, CancellationToken cancellationToken)
    {
        RequireRunning(vm.Id);
        Change(vm.Id, d => d with { MemoryMiB = targetMiB });
        return Task.FromResult(new VmMemory(vm.Spec.MemoryMiB, targetMiB, targetMiB));
    }

    /// <summary>A (re)boot starts with the devices its spec records, as a real VM's command line would.</summary>
    private void BootDevices(VmInfo vm) =>
        _devices[vm.Id] = new ImmutableDevices([.. vm.Spec.Disks.Select(d => d.Id)], [.. vm.Spec.Nics.Select(n => n.Id)], vm.Spec.BalloonMiB);

    private void RequireRunning(string vmId)
    {
        Require(vmId);
        if (_vms[vmId] != VmState.Running)
        {
            throw Errors.FormationException.Conflict($"simulated VM {vmId} is {_vms[vmId]}, not Running.");
        }
    }

    private void Change(string vmId, Func<ImmutableDevices, ImmutableDevices> change) =>
        _devices.AddOrUpdate(vmId, _ => change(new ImmutableDevices([], [], null)), (_, d) => change(d));

    private sealed record ImmutableDevices(IReadOnlyList<string> Disks, IReadOnlyList<string> Nics, long? MemoryMiB);
}
