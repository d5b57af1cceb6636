using Formation.Vms;

namespace Formation.LocalApi;

/// <summary>A VM and its recent transitions, oldest first, and its node's latest sample of it (null when none is known).</summary>
public sealed record VmDetail(VmInfo Vm, IReadOnlyList<VmEvent> Events, Metrics.VmMetricsPoint? Usage = null);
