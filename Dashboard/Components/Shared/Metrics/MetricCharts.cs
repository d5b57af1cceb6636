using Formation.Display;
using Formation.Metrics;

namespace Formation.Dashboard.Components.Shared.Metrics;

/// <summary>
/// The charts of a node's or a VM's history. Rates come as the node computed them at sampling (over counters that
/// survive VM restarts), the same numbers <c>form top</c> prints; nothing here derives a rate again.
/// </summary>
public static class MetricCharts
{
    /// <summary>CPU busy, load, memory, network and disk I/O of a node; empty for a history without samples.</summary>
    public static IReadOnlyList<MetricChart> Of(NodeMetrics history)
    {
        if (history.Latest is not { } now)
        {
            return [];
        }

        var p = history.Points;
        return
        [
            new("cpu", "CPU busy", $"{MetricsCells.Percent(now.CpuBusy)} of {Count(now.CpuCount, "CPU")}", MetricUnit.Percent,
                [Line("busy", p, x => x.CpuBusy * 100)]),
            new("load", "Load (1 min)", $"{now.Load1:0.00}", MetricUnit.Number, [Line("load", p, x => x.Load1)]),
            new("memory", "Memory", $"{MetricsCells.UsedOf(now.MemoryUsedBytes, now.MemoryTotalBytes)} used", MetricUnit.Bytes,
                [Line("used", p, x => x.MemoryUsedBytes), Line("available", p, x => Math.Max(0, x.MemoryTotalBytes - x.MemoryUsedBytes))]),
            new("network", "Network", $"{MetricsCells.Rates(now.NetworkReceiveBytesPerSecond, now.NetworkTransmitBytesPerSecond)} in / out",
                MetricUnit.BytesPerSecond, [Line("receive", p, x => x.NetworkReceiveBytesPerSecond), Line("transmit", p, x => x.NetworkTransmitBytesPerSecond)]),
            new("disk", "Disk I/O (data directory)", $"{MetricsCells.Rates(now.DiskReadBytesPerSecond, now.DiskWriteBytesPerSecond)} read / write",
                MetricUnit.BytesPerSecond, [Line("read", p, x => x.DiskReadBytesPerSecond), Line("write", p, x => x.DiskWriteBytesPerSecond)]),
        ];
    }

    /// <summary>vCPU utilisation, resident memory, TAP traffic and disk I/O of a VM; empty for a history without samples.</summary>
    public static IReadOnlyList<MetricChart> Of(VmMetrics history)
    {
        if (history.Latest is not { } now)
        {
            return [];
        }

        var p = history.Points;
        return
        [
            new("cpu", "vCPU utilisation", $"{MetricsCells.Percent(now.CpuUtilization)} of {Count(history.VCpus, "vCPU")} ({now.CpuSeconds:0.#} s in all)",
                MetricUnit.Percent, [Line("busy", p, x => x.CpuUtilization * 100)]),
            new("memory", "Memory (resident)", $"{Units.Bytes(now.MemoryBytes)} of {Units.MiB(history.MemoryMiB)}", MetricUnit.Bytes,
                [Line("resident", p, x => x.MemoryBytes)]),
            new("network", "Network (TAP)", $"{MetricsCells.Rates(now.NetworkReceiveBytesPerSecond, now.NetworkTransmitBytesPerSecond)} in / out",
                MetricUnit.BytesPerSecond, [Line("receive", p, x => x.NetworkReceiveBytesPerSecond), Line("transmit", p, x => x.NetworkTransmitBytesPerSecond)]),
            new("disk", "Disk I/O", $"{MetricsCells.Rates(now.DiskReadBytesPerSecond, now.DiskWriteBytesPerSecond)} read / write",
                MetricUnit.BytesPerSecond, [Line("read", p, x => x.DiskReadBytesPerSecond), Line("write", p, x => x.DiskWriteBytesPerSecond)]),
        ];
    }

    private static MetricLine Line(string name, IReadOnlyList<NodeMetricsPoint> points, Func<NodeMetricsPoint, double> value) =>
        new(name, [.. points.Select(p => new MetricValue(p.At, value(p)))]);

    private static MetricLine Line(string name, IReadOnlyList<VmMetricsPoint> points, Func<VmMetricsPoint, double> value) =>
        new(name, [.. points.Select(p => new MetricValue(p.At, value(p)))]);

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
