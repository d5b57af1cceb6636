using Formation.Vms;

namespace Formation.Silo.Vms;

/// <summary>
/// One VM this node's host holds, as metrics count it: its state as the host sees it, its process (null while none runs,
/// and always for simulated VMs), its TAP, and what it reserves.
/// </summary>
public sealed record VmCensusEntry(
    string VmId, string Name, VmState State, int? Pid, string? Tap, int VCpus, long MemoryMiB, long DiskGiB);
