namespace Formation.Metrics;

/// <summary>
/// One sample of a node (every <see cref="NodeMetrics.Interval"/>): rates are over the interval before <see cref="At"/>.
/// </summary>
/// <param name="CpuBusy">Share of all the host's CPUs busy (not idle, not waiting for I/O), 0–1.</param>
/// <param name="DiskUsedBytes">Used space of the data directory's file system (with <see cref="DiskTotalBytes"/>).</param>
/// <param name="DiskReadBytesPerSecond">Reads from the data directory's device; 0 where it has none (tmpfs, overlay).</param>
/// <param name="NetworkReceiveBytesPerSecond">All interfaces but loopback, the node's bridge and its VMs' TAPs.</param>
[GenerateSerializer, Immutable]
[Alias("formation.node-metrics-point")]
public sealed record NodeMetricsPoint(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] double CpuBusy,
    [property: Id(2)] int CpuCount,
    [property: Id(3)] double Load1,
    [property: Id(4)] long MemoryUsedBytes,
    [property: Id(5)] long MemoryTotalBytes,
    [property: Id(6)] long DiskUsedBytes,
    [property: Id(7)] long DiskTotalBytes,
    [property: Id(8)] double DiskReadBytesPerSecond,
    [property: Id(9)] double DiskWriteBytesPerSecond,
    [property: Id(10)] double NetworkReceiveBytesPerSecond,
    [property: Id(11)] double NetworkTransmitBytesPerSecond,
    [property: Id(12)] int VmsRunning,
    [property: Id(13)] int VmsTotal);
