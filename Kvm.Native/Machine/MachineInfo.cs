namespace Formation.Kvm.Native.Machine;

/// <summary>A snapshot for the control API's "info" command.</summary>
public sealed record MachineInfo(
    string State,
    int Vcpus,
    int MemoryMiB,
    double UptimeSeconds,
    bool PvmCompat,
    string? ExitReason,
    string? ExitDetail,
    IReadOnlyDictionary<string, long> Exits,
    IReadOnlyList<IReadOnlyDictionary<string, long>> ExitsPerVcpu,
    IReadOnlyDictionary<string, string> Devices);
