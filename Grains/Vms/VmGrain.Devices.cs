using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// Devices changed on a running VM: disks and network interfaces plugged in and out, and the balloon. The host makes the
/// change first; only then does the spec record it (persisted), so a restart, a restore or a re-adoption boots the VM
/// with exactly the devices its guest had. A failed host call leaves the spec as it was.
/// </summary>
public sealed partial class VmGrain
{
    public async Task<VmDisk> AddDiskAsync(long sizeMiB)
    {
        var devices = RequireDevices("add a disk to");
        if (sizeMiB < VmDevices.MinDiskMiB || sizeMiB > VmDevices.MaxDiskMiB)
        {
            throw FormationException.Invalid($"a disk is {VmDevices.MinDiskMiB} MiB to {VmDevices.MaxDiskMiB} MiB; {sizeMiB} MiB is not.");
        }

        var disk = new VmDisk(VmDevices.NextDiskId(S.Spec!, S.Spec!.Name), sizeMiB);
        await HostCallAsync("add a disk to", () => devices.AddDiskAsync(Info(), disk, CancellationToken.None));
        await RecordDevicesAsync(S.Spec with { ExtraDisks = [.. S.Spec.Disks, disk] }, $"disk {disk.Id} ({disk.SizeMiB} MiB) added");
        return disk;
    }

    public async Task<VmInfo> RemoveDiskAsync(string disk)
    {
        var devices = RequireDevices("remove a disk from");
        var found = S.Spec!.Disks.FirstOrDefault(d => d.Id == disk) ?? throw FormationException.NotFound(
            $"VM {S.Spec.Name} has no added disk '{disk}'; it has {Names(S.Spec.Disks.Select(d => d.Id))} (the root disk cannot be removed).");
        await HostCallAsync("remove a disk from", () => devices.RemoveDiskAsync(Info(), found.Id, CancellationToken.None));
        await RecordDevicesAsync(S.Spec with { ExtraDisks = [.. S.Spec.Disks.Where(d => d.Id != found.Id)] }, $"disk {found.Id} removed");
        return Info();
    }

    public async Task<VmNic> AddNicAsync()
    {
        var devices = RequireDevices("add a network interface to");
        var id = VmDevices.NextNicId(S.Spec!, S.Spec!.Name);
        VmNic nic = null!;
        await HostCallAsync("add a network interface to", async () => nic = await devices.AddNicAsync(Info(), id, CancellationToken.None));
        await RecordDevicesAsync(S.Spec with { ExtraNics = [.. S.Spec.Nics, nic] }, $"network interface {nic.Id} ({nic.Mac}, {nic.Address}) added");
        return nic;
    }

    public async Task<VmInfo> RemoveNicAsync(string nic)
    {
        var devices = RequireDevices("remove a network interface from");
        var found = S.Spec!.Nics.FirstOrDefault(n => n.Id == nic) ?? throw FormationException.NotFound(
            $"VM {S.Spec.Name} has no added network interface '{nic}'; it has {Names(S.Spec.Nics.Select(n => n.Id))} (the first one cannot be removed).");
        await HostCallAsync("remove a network interface from", () => devices.RemoveNicAsync(Info(), found.Id, CancellationToken.None));
        await RecordDevicesAsync(S.Spec with { ExtraNics = [.. S.Spec.Nics.Where(n => n.Id != found.Id)] }, $"network interface {found.Id} removed");
        return Info();
    }

    public async Task<VmMemory> ResizeMemoryAsync(long memoryMiB)
    {
        var devices = RequireDevices("resize");
        if (VmDevices.ResizeProblem(S.Spec!.MemoryMiB, memoryMiB) is { } problem)
        {
            throw FormationException.Invalid($"Cannot resize VM {S.Spec.Name}: {problem}.");
        }

        VmMemory memory = null!;
        await HostCallAsync("resize", async () => memory = await devices.SetMemoryAsync(Info(), memoryMiB, CancellationToken.None));
        await RecordDevicesAsync(S.Spec with { BalloonMiB = memoryMiB == S.Spec.MemoryMiB ? null : memoryMiB },
            $"memory set to {memoryMiB} of {S.Spec.MemoryMiB} MiB (the guest has {memory.ActualMiB} MiB)");
        return memory;
    }

    /// <summary>The node's device host for a Running VM of the caller's, or a clear refusal.</summary>
    private IVmDeviceHost RequireDevices(string action)
    {
        RequireExists();
        RequireState(action, VmState.Running);
        return host.Devices ?? throw FormationException.Invalid(
            $"Cannot {action} VM {S.Spec!.Name}: node {NodeId} runs VMs with the {host.DriverName} driver, which does not change devices of running VMs.");
    }

    private async Task RecordDevicesAsync(VmSpec spec, string what)
    {
        S.Spec = spec;
        S.Reason = what;
        S.UpdatedAt = clock.GetUtcNow();
        await store.WriteStateAsync();
        LogDevicesChanged(VmId, what);
        PublishSummary();
    }

    private static string Names(IEnumerable<string> ids) => ids.ToList() is { Count: > 0 } list ? string.Join(", ", list) : "none";

    [LoggerMessage(Level = LogLevel.Information, Message = "VM {VmId}: {What}")]
    private partial void LogDevicesChanged(string vmId, string what);
}
