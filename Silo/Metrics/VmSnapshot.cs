using Formation.Vms;

namespace Formation.Silo.Metrics;

/// <summary>
/// A VM as the last sample left it, for the exported instruments: counters that only grow (see <see cref="MonotonicCounter"/>)
/// and the gauges of that moment. Network directions are the guest's: what it received and what it sent.
/// </summary>
public sealed record VmSnapshot(
    string VmId,
    string Name,
    VmState State,
    int VCpus,
    long MemoryMiB,
    bool HasProcess,
    double CpuUserSeconds,
    double CpuSystemSeconds,
    double CpuUtilization,
    long MemoryBytes,
    long DiskReadBytes,
    long DiskWriteBytes,
    long NetworkReceiveBytes,
    long NetworkTransmitBytes,
    long NetworkReceivePackets,
    long NetworkTransmitPackets,
    long DiskReadOps = 0,
    long DiskWriteOps = 0,
    string IoSource = "process",
    long Boots = 0,
    long Restarts = 0,
    TimeSpan? ReadyTime = null);
