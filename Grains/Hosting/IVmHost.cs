using Formation.Snapshots;
using Formation.Vms;

namespace Formation.Grains.Hosting;

/// <summary>
/// The one way grains reach the hypervisor of their node. Long work (booting, graceful shutdown) is started here and
/// finished in the background; the host then reports the outcome through <see cref="IVmGrain.ReportAsync"/>.
/// </summary>
public interface IVmHost
{
    /// <summary>The hypervisor driver this node runs (kvm, qemu, sim, or none).</summary>
    string DriverName { get; }

    /// <summary>The VMs' serial consoles, or null when this driver's VMs have none (<c>sim</c>, <c>none</c>).</summary>
    IVmConsoleHost? Console { get; }

    /// <summary>Commands in the VMs' guests through their guest agent, or null when this driver's VMs have none (<c>sim</c>, <c>none</c>).</summary>
    IVmExecHost? Exec { get; }

    /// <summary>Devices added to or removed from running VMs, and their balloon; null when this driver cannot change them.</summary>
    IVmDeviceHost? Devices => null;

    /// <summary>Moving running VMs to and from other nodes while they run; null when this driver cannot (they move by stop and copy).</summary>
    IVmMigrationHost? Migration => null;

    /// <summary>Prepares and boots the VM; reports Running when the guest is ready, or Failed.</summary>
    Task ProvisionAsync(VmInfo vm, CancellationToken cancellationToken);

    /// <summary>Starts a graceful shutdown; reports Stopped when the guest is down.</summary>
    Task StopAsync(string vmId, CancellationToken cancellationToken);

    /// <summary>Stops all vCPUs; returns when they are stopped.</summary>
    Task PauseAsync(string vmId, CancellationToken cancellationToken);

    /// <summary>Continues all vCPUs; returns when they run.</summary>
    Task ResumeAsync(string vmId, CancellationToken cancellationToken);

    /// <summary>Resets the guest (kill and boot again); reports Running when the guest is ready again, or Failed.</summary>
    Task RebootAsync(string vmId, CancellationToken cancellationToken);

    /// <summary>
    /// Pauses the VM (unless it is paused), saves its machine state and a point-in-time copy of its disk as snapshot
    /// <paramref name="name"/> in the node's store, then resumes it (if it was running) or, with <paramref name="stop"/>,
    /// ends its process (the host then reports Stopped). On failure the VM runs on and nothing is kept.
    /// </summary>
    Task<SnapshotInfo> SnapshotAsync(VmInfo vm, string name, bool stop, CancellationToken cancellationToken);

    /// <summary>
    /// Checks that <paramref name="snapshot"/> is one of the VM's own snapshots on this node and of this driver, then ends
    /// the VM's process, puts the snapshot's disk back and starts the VM from its machine state; reports Running once it
    /// runs again, or Failed.
    /// </summary>
    Task RestoreAsync(VmInfo vm, string snapshot, CancellationToken cancellationToken);

    /// <summary>
    /// Starts a new VM (a clone) from the snapshot its spec names (<see cref="VmSpec.FromSnapshot"/>), which must be on this
    /// node and of this driver: the snapshot's disk copied for it, its machine state loaded, then the guest told its new
    /// MAC, address and hostname through its agent; reports Running once the guest has them, or Failed with the reason
    /// (the restored process is then ended).
    /// </summary>
    Task CloneAsync(VmInfo vm, CancellationToken cancellationToken);

    /// <summary>Kills the VM if it runs and removes everything the host holds for it (idempotent).</summary>
    /// <remarks>With <paramref name="keepAddress"/> (the VM migrated to another node) its address stays leased: it goes with the VM.</remarks>
    Task DeleteAsync(string vmId, bool keepAddress, CancellationToken cancellationToken);

    /// <summary>What the host sees of the VM now, or null if it holds nothing for it.</summary>
    Task<HostVmStatus?> InspectAsync(string vmId, CancellationToken cancellationToken);
}
