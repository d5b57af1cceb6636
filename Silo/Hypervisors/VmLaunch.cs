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

    /// <summary>A snapshot's machine-state directory; the VM starts from it instead of booting (null: boot).</summary>
    public string? RestoreFrom { get; init; }
}
