using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Silo.Hypervisors;
using Formation.Silo.Network;
using Formation.Silo.Platform;
using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// Hotplug and the balloon on a real driver. Each change runs under the VM's gate (no stop, reboot or snapshot
/// interleaves), is made on the running process first and then written to the launch record, so a re-adopted VM's
/// record lists what its process holds; the VM grain records it in the spec, from which later boots are prepared.
/// </summary>
public sealed partial class VmRuntime : IVmDeviceHost
{
    /// <summary>How long a guest may take to let go of a device it is asked to release.</summary>
    public static TimeSpan DeviceReleaseTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a resize waits for the guest to reach the balloon's target before it answers with what it has.</summary>
    public static TimeSpan BalloonSettleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public IVmDeviceHost? Devices => this;

    public async Task AddDiskAsync(VmInfo vm, VmDisk disk, CancellationToken cancellationToken)
    {
        await WithHotplugAsync(vm, "add a disk to", async (managed, hotplug) =>
        {
            var path = DeviceSlots.DiskFile(managed.Directory, disk.Id);
            CreateDiskFile(managed.Directory, path, disk.SizeMiB, checkSpace: true);
            try
            {
                await hotplug.AddDiskAsync(disk.Id, path, cancellationToken);
            }
            catch
            {
                File.Delete(path);
                throw;
            }

            managed.Launch = managed.Launch with { Disks = [.. managed.Launch.Disks.Where(d => d.Id != disk.Id), disk] };
            SaveLaunch(managed, managed.Launch.Running);
        });
    }

    public async Task RemoveDiskAsync(VmInfo vm, string diskId, CancellationToken cancellationToken)
    {
        await WithHotplugAsync(vm, "remove a disk from", async (managed, hotplug) =>
        {
            await hotplug.RemoveDeviceAsync(diskId, DeviceReleaseTimeout, cancellationToken);
            managed.Launch = managed.Launch with { Disks = [.. managed.Launch.Disks.Where(d => d.Id != diskId)] };
            SaveLaunch(managed, managed.Launch.Running);
            File.Delete(DeviceSlots.DiskFile(managed.Directory, diskId));
        });
    }

    public async Task<VmNic> AddNicAsync(VmInfo vm, string nicId, CancellationToken cancellationToken)
    {
        VmNic added = null!;
        await WithHotplugAsync(vm, "add a network interface to", async (managed, hotplug) =>
        {
            if (!network.Enabled || managed.Launch.Network is null)
            {
                throw FormationException.Invalid($"node {node.Identity.NodeId} runs VM {vm.Name} without VM networking: there is no bridge to add an interface on.");
            }

            var net = await network.AttachNicAsync(vm.Id, nicId, vm.Account, cancellationToken);
            try
            {
                await egress.SetEgressAsync(net.Address, allowed: !vm.Spec.NoEgress, cancellationToken);
                await hotplug.AddNicAsync(nicId, net.Tap, net.Mac, cancellationToken);
            }
            catch
            {
                await egress.SetEgressAsync(net.Address, allowed: true, CancellationToken.None);
                await network.DetachNicAsync(vm.Id, nicId, CancellationToken.None);
                throw;
            }

            var nic = new LaunchNic(nicId, net.Tap, net.Mac, net.Address);
            managed.Launch = managed.Launch with { Nics = [.. managed.Launch.Nics.Where(n => n.Id != nicId), nic] };
            SaveLaunch(managed, managed.Launch.Running);
            added = new VmNic(nicId, net.Mac, net.Address);
        });
        return added;
    }

    public async Task RemoveNicAsync(VmInfo vm, string nicId, CancellationToken cancellationToken)
    {
        await WithHotplugAsync(vm, "remove a network interface from", async (managed, hotplug) =>
        {
            await hotplug.RemoveDeviceAsync(nicId, DeviceReleaseTimeout, cancellationToken);
            var nic = managed.Launch.Nics.FirstOrDefault(n => n.Id == nicId);
            managed.Launch = managed.Launch with { Nics = [.. managed.Launch.Nics.Where(n => n.Id != nicId)] };
            SaveLaunch(managed, managed.Launch.Running);
            if (nic is not null)
            {
                await egress.SetEgressAsync(nic.Address, allowed: true, cancellationToken);
            }

            await network.DetachNicAsync(vm.Id, nicId, cancellationToken);
        });
    }

    public async Task<VmMemory> SetMemoryAsync(VmInfo vm, long targetMiB, CancellationToken cancellationToken)
    {
        long actual = 0;
        await WithHotplugAsync(vm, "resize", async (managed, hotplug) =>
        {
            if (!managed.Launch.Balloon)
            {
                throw FormationException.Conflict(
                    $"VM {vm.Name} was started before Formation gave VMs a balloon; restart it (form vm stop, form vm start) and resize again.");
            }

            await hotplug.SetBalloonAsync(targetMiB, cancellationToken);
            actual = await SettleBalloonAsync(hotplug, targetMiB, cancellationToken);
            managed.Launch = managed.Launch with { BalloonMiB = targetMiB == managed.Launch.MemoryMiB ? null : targetMiB };
            SaveLaunch(managed, managed.Launch.Running);
        });
        return new VmMemory(vm.Spec.MemoryMiB, targetMiB, actual);
    }

    /// <summary>The guest gives memory to the balloon at its pace: waits (briefly) until it has what was asked.</summary>
    private static async Task<long> SettleBalloonAsync(IVmHotplug hotplug, long targetMiB, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + BalloonSettleTimeout;
        while (true)
        {
            var actual = await hotplug.QueryBalloonAsync(cancellationToken);
            if (actual == targetMiB || DateTime.UtcNow > deadline)
            {
                return actual;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>
    /// The devices of the spec for a boot: added disks (a missing file is made again, empty), added NICs attached and
    /// admitted, and the balloon's target.
    /// </summary>
    private async Task<VmLaunch> WithDevicesAsync(VmLaunch launch, VmInfo vm, VmDirectory directory, CancellationToken cancellationToken)
    {
        foreach (var disk in vm.Spec.Disks)
        {
            var path = DeviceSlots.DiskFile(directory, disk.Id);
            if (!File.Exists(path))
            {
                LogDiskRecreated(vm.Id, disk.Id);
                CreateDiskFile(directory, path, disk.SizeMiB, checkSpace: false);
            }
        }

        var nics = new List<LaunchNic>();
        if (launch.Network is not null)
        {
            foreach (var nic in vm.Spec.Nics)
            {
                var net = await network.AttachNicAsync(vm.Id, nic.Id, vm.Account, cancellationToken);
                await egress.SetEgressAsync(net.Address, allowed: !vm.Spec.NoEgress, cancellationToken);
                nics.Add(new LaunchNic(nic.Id, net.Tap, net.Mac, net.Address));
            }
        }

        return launch with
        {
            Disks = vm.Spec.Disks,
            Nics = nics,
            Balloon = driver.Name == DriverNames.Qemu,
            BalloonMiB = vm.Spec.BalloonMiB,
        };
    }

    /// <summary>Once a booted guest is ready: the balloon set to what the spec asks (a failure is logged; the guest keeps all its memory).</summary>
    private async Task ApplyBalloonAsync(ManagedVm managed, IVmProcess process)
    {
        if (managed.Launch.BalloonMiB is not { } target || process is not IVmHotplug hotplug)
        {
            return;
        }

        try
        {
            await hotplug.SetBalloonAsync(target, _stopping.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogOperationFailed(ex, "set the balloon of", managed.Launch.VmId);
        }
    }

    /// <summary>A re-adopted VM's added NICs get their bridge entries and egress settings back.</summary>
    private async Task ReadmitNicsAsync(VmLaunch launch, VmNetwork first, CancellationToken cancellationToken)
    {
        foreach (var nic in launch.Nics)
        {
            var net = first with { Tap = nic.Tap, Mac = nic.Mac, Address = nic.Address };
            await network.ReadmitAsync(net, launch.Account ?? Formation.Identity.AccountNames.Admin, cancellationToken);
            await egress.SetEgressAsync(nic.Address, allowed: !launch.NoEgress, cancellationToken);
        }
    }

    /// <summary>Takes away what a deleted VM's added NICs held on the node.</summary>
    private async Task DetachNicsAsync(VmLaunch launch, CancellationToken cancellationToken)
    {
        foreach (var nic in launch.Nics)
        {
            await egress.SetEgressAsync(nic.Address, allowed: true, cancellationToken);
            await network.DetachNicAsync(launch.VmId, nic.Id, cancellationToken);
        }
    }

    private async Task WithHotplugAsync(VmInfo vm, string action, Func<ManagedVm, IVmHotplug, Task> change)
    {
        var managed = Get(vm.Id);
        await managed.Gate.WaitAsync();
        try
        {
            if (managed.Phase != VmPhase.Running || managed.Process is not { Exited.IsCompleted: false } process)
            {
                throw FormationException.Conflict($"VM {vm.Name} ({vm.Id}) is not running on node {node.Identity.NodeId}; start it first.");
            }

            if (process is not IVmHotplug hotplug)
            {
                throw FormationException.Invalid(driver.Name == DriverNames.Kvm
                    ? $"formation-vmm does not hot-add devices yet: its virtio-mmio devices are fixed on the kernel command line at boot " +
                      $"and it has no balloon; cannot {action} VM {vm.Name}. Use the qemu driver for VMs that change devices while they run."
                    : $"the {driver.Name} driver cannot {action} a running VM.");
            }

            try
            {
                await change(managed, hotplug);
            }
            catch (Exception ex) when (ex is not FormationException)
            {
                LogOperationFailed(ex, action, vm.Id);
                throw new FormationException(ErrorKind.HostFailure, $"could not {action} VM {vm.Name} on node {node.Identity.NodeId}: {ex.Message}");
            }
        }
        finally
        {
            managed.Gate.Release();
        }
    }

    /// <summary>A sparse raw file of <paramref name="sizeMiB"/>, 0600 and owned by the VM's uid like its root disk.</summary>
    private void CreateDiskFile(VmDirectory directory, string path, long sizeMiB, bool checkSpace)
    {
        var bytes = sizeMiB << 20;
        if (checkSpace)
        {
            var free = new DriveInfo(directory.Path).AvailableFreeSpace;
            if (bytes > free)
            {
                throw FormationException.Invalid(
                    $"a {sizeMiB} MiB disk does not fit on node {node.Identity.NodeId}: its VM store has {free >> 20} MiB free; ask for less or free space.");
            }
        }

        File.Delete(path);
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            file.SetLength(bytes);
        }

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (VmJail.RecordedUid(directory) is { } uid)
        {
            HostOwnership.Chown(path, uid, uid);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "VM {VmId}: added disk {DiskId} was missing; made again, empty")]
    private partial void LogDiskRecreated(string vmId, string diskId);
}
