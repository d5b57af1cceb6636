namespace Formation.Silo.Metrics;

/// <summary>I/O of one block device (<c>/proc/diskstats</c>) or one process (<c>/proc/PID/io</c>): bytes and operations.</summary>
public readonly record struct DiskCounters(long ReadBytes, long WriteBytes, long ReadOps, long WriteOps);
