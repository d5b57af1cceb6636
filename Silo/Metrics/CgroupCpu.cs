namespace Formation.Silo.Metrics;

/// <summary>CPU seconds a cgroup's processes used, in all and split by user and kernel mode.</summary>
public readonly record struct CgroupCpu(double UsageSeconds, double UserSeconds, double SystemSeconds);
