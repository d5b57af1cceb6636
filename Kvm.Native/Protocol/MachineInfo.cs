namespace Formation.Vmm.Protocol;

/// <summary>
/// The result of info: a snapshot of the VM (exit counters in total and per vCPU, one line per device; how it stopped
/// once it has).
/// </summary>
public sealed record MachineInfo(
    MachineState State,
    int Vcpus,
    int MemoryMiB,
    double UptimeSeconds,
    bool PvmCompat,
    VcpuExitCounts Exits,
    IReadOnlyList<VcpuExitCounts> ExitsPerVcpu,
    IReadOnlyDictionary<string, string> Devices,
    ExitReason? ExitReason = null,
    string? ExitDetail = null);
