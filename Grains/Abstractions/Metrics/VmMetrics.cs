using Formation.Vms;

namespace Formation.Metrics;

/// <summary>A VM's recent samples on its node, oldest first; <see cref="State"/> is what the node's host sees now.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.vm-metrics")]
public sealed record VmMetrics(
    [property: Id(0)] string VmId,
    [property: Id(1)] string Name,
    [property: Id(2)] string NodeId,
    [property: Id(3)] VmState State,
    [property: Id(4)] int VCpus,
    [property: Id(5)] long MemoryMiB,
    [property: Id(6)] IReadOnlyList<VmMetricsPoint> Points)
{
    public VmMetricsPoint? Latest => Points.Count == 0 ? null : Points[^1];
}
