using Formation.Vms;

namespace Formation.Grains.Hosting;

/// <summary>
/// Devices changed on a running VM (hotplug) and its balloon. The grain records each change in the VM's spec only after
/// the host made it, so the spec a restart boots from holds exactly the devices the guest had.
/// </summary>
public interface IVmDeviceHost
{
    /// <summary>Creates the disk's file on the node (free space checked) and plugs it into the running VM.</summary>
    Task AddDiskAsync(VmInfo vm, VmDisk disk, CancellationToken cancellationToken);

    /// <summary>Unplugs the disk (the guest lets go of it first) and deletes its file.</summary>
    Task RemoveDiskAsync(VmInfo vm, string diskId, CancellationToken cancellationToken);

    /// <summary>Gives the NIC a TAP, a MAC and an address, admits them on the bridge and plugs it in; returns it with MAC and address.</summary>
    Task<VmNic> AddNicAsync(VmInfo vm, string nicId, CancellationToken cancellationToken);

    /// <summary>Unplugs the NIC and removes its TAP, bridge entry and address.</summary>
    Task RemoveNicAsync(VmInfo vm, string nicId, CancellationToken cancellationToken);

    /// <summary>Asks the balloon to leave the guest <paramref name="targetMiB"/>; returns what the guest has once it settled (or at a short deadline).</summary>
    Task<VmMemory> SetMemoryAsync(VmInfo vm, long targetMiB, CancellationToken cancellationToken);
}
