using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// One VM this node's host holds, as metrics count it: its state as the host sees it, its process (null while none runs,
/// and always for simulated VMs), its TAP, and what it reserves; how often it booted, how many of those boots were
/// restarts after an exit the node did not ask for (a crash, the guest rebooting or powering off, a boot that timed out),
/// and how long its last boot took to report ready.
/// </summary>
public sealed record VmCensusEntry(
    string VmId, string Name, VmState State, int? Pid, string? Tap, int VCpus, long MemoryMiB, long DiskGiB,
    long Boots = 0, long Restarts = 0, TimeSpan? ReadyTime = null);
