using Formation.Metrics;

namespace Formation.Nodes;

/// <summary>
/// A node's measured load, from its own samples over the last minute, as it sends it with its heartbeats. The scheduler
/// prefers a node with a lower <see cref="CpuBusy"/> among those with room; reservations still decide what fits.
/// </summary>
/// <param name="CpuBusy">Share of all the node's CPUs busy, 0–1, averaged over the samples of the window.</param>
/// <param name="MemoryAvailable">Share of the node's memory available (free or reclaimable) at the last sample, 0–1.</param>
/// <param name="MeasuredAt">The node's clock at its last sample in the window.</param>
/// <param name="Samples">How many samples the average is over.</param>
[GenerateSerializer, Immutable]
[Alias("formation.node-load")]
public sealed record NodeLoad(
    [property: Id(0)] double CpuBusy,
    [property: Id(1)] double MemoryAvailable,
    [property: Id(2)] DateTimeOffset MeasuredAt,
    [property: Id(3)] int Samples)
{
    /// <summary>The window a node averages over.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The load of the <paramref name="points"/> (oldest first) taken after <paramref name="since"/> and at or before
    /// <paramref name="now"/>, or null when there is none (no measurement yet, or none recent: never a guessed idle).
    /// </summary>
    public static NodeLoad? Average(IReadOnlyList<NodeMetricsPoint> points, DateTimeOffset since, DateTimeOffset now)
    {
        double busy = 0;
        var count = 0;
        NodeMetricsPoint? last = null;
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            if (p.At <= since || p.At > now)
            {
                continue;
            }

            busy += Math.Clamp(p.CpuBusy, 0, 1);
            count++;
            last = p;
        }

        if (last is null)
        {
            return null;
        }

        var available = last.MemoryTotalBytes > 0
            ? Math.Clamp((double)(last.MemoryTotalBytes - last.MemoryUsedBytes) / last.MemoryTotalBytes, 0, 1)
            : 0;
        return new NodeLoad(busy / count, available, last.At, count);
    }
}
