using Formation.Nodes;
using Formation.Vms;

namespace Formation.Silo.Metrics;

/// <summary>Everything the last sample found, which the exported instruments read (a scrape reads no file).</summary>
/// <param name="CpuUtilization">Share of all CPUs per mode over the last interval (empty after the first sample).</param>
public sealed record MetricsSnapshot(
    NodeSample Node,
    IReadOnlyDictionary<string, double> CpuUtilization,
    IReadOnlyDictionary<VmState, int> VmsByState,
    NodeCapacity Reserved,
    NodeCapacity Allocatable,
    IReadOnlyList<VmSnapshot> Vms);
