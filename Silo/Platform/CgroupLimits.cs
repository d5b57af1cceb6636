namespace Formation.Silo.Platform;

/// <summary>Limits of one sandbox cgroup: most tasks, bytes of memory, and CPUs of time per period.</summary>
public sealed record CgroupLimits(long PidsMax, long MemoryMaxBytes, double Cpus);
