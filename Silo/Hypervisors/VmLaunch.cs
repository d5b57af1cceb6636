using Formation.Silo.Network;
using Formation.Vmm.Protocol;

namespace Formation.Silo.Hypervisors;

/// <summary>Everything a driver needs to start one VM process. Saved as the directory's launch record.</summary>
/// <param name="DiskGiB">The disk the VM reserves (what node metrics count; 0 in records written before it was kept).</param>
public sealed record VmLaunch(
    string VmId,
    string Name,
    string Driver,
    int VCpus,
    long MemoryMiB,
    string KernelCommandLine,
    bool HasInitrd,
    bool HasDisk,
    VmNetwork? Network,
    IReadOnlyList<string> Ports,
    bool Running,
    long DiskGiB = 0)
{
    /// <summary>How much console output the VM's log keeps (a launch record without one gets the default).</summary>
    public ConsoleLogCap ConsoleLogCap { get; init; } = new();

    /// <summary>Host ports the node forwards to the VM (kept here so a restarted silo restores them).</summary>
    public IReadOnlyList<Formation.Vms.PortPublish> Publish { get; init; } = [];

    /// <summary>Whether the VM's traffic to outside the overlay is dropped.</summary>
    public bool NoEgress { get; init; }

    /// <summary>The account the VM belongs to: whose guests its TAP may reach (a record from before accounts: null, the admin's).</summary>
    public string? Account { get; init; }

    /// <summary>Disks added to the VM (hotplug), each a raw file in its directory (<see cref="DeviceSlots.DiskFile"/>) at its fixed slot.</summary>
    public IReadOnlyList<Formation.Vms.VmDisk> Disks { get; init; } = [];

    /// <summary>Network interfaces added beyond the first (hotplug), each on its own TAP at its fixed slot.</summary>
    public IReadOnlyList<LaunchNic> Nics { get; init; } = [];

    /// <summary>Whether the VM has a balloon device (false in records of VMs started before Formation had one).</summary>
    public bool Balloon { get; init; }

    /// <summary>What the balloon leaves the guest once it is ready (null: all of <see cref="MemoryMiB"/>).</summary>
    public long? BalloonMiB { get; init; }

    /// <summary>A snapshot's machine-state directory; the VM starts from it instead of booting (null: boot).</summary>
    public string? RestoreFrom { get; init; }

    /// <summary>The VM arrives by live migration: the process starts waiting for its state from the old node (<see cref="IVmLiveMigration"/>).</summary>
    public bool Incoming { get; init; }
}
