namespace Formation.Metrics;

/// <summary>One sample of a VM; rates are over the interval before <see cref="At"/>.</summary>
/// <param name="CpuUtilization">Share of its vCPUs it kept busy, 0–1 (the VMM's own threads count too, so a little more is possible).</param>
/// <param name="CpuSeconds">CPU time since the VM was first seen by this node's silo; it only grows, across restarts.</param>
/// <param name="MemoryBytes">Resident memory of its VM process (guest RAM it touched plus the VMM's own); 0 while none runs.</param>
[GenerateSerializer, Immutable]
[Alias("formation.vm-metrics-point")]
public sealed record VmMetricsPoint(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] double CpuUtilization,
    [property: Id(2)] double CpuSeconds,
    [property: Id(3)] long MemoryBytes,
    [property: Id(4)] double DiskReadBytesPerSecond,
    [property: Id(5)] double DiskWriteBytesPerSecond,
    [property: Id(6)] double NetworkReceiveBytesPerSecond,
    [property: Id(7)] double NetworkTransmitBytesPerSecond);
