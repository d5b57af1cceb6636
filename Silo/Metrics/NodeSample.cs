namespace Formation.Silo.Metrics;

/// <summary>What one read of the node's <c>/proc</c> files and data file system found.</summary>
/// <param name="Disk">I/O of the data directory's device; null where it has none to read (tmpfs, overlay, not listed).</param>
public sealed record NodeSample(
    DateTimeOffset At,
    CpuTimes Cpu,
    int CpuCount,
    LoadAverage Load,
    MemoryInfo Memory,
    FilesystemSpace Filesystem,
    DiskCounters? Disk,
    IReadOnlyList<InterfaceCounters> Interfaces);
