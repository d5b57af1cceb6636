namespace Formation.Silo.Metrics;

/// <summary>
/// One process from <c>/proc/PID/stat</c>: CPU seconds in user and kernel mode (all its threads), resident memory,
/// and its start time in clock ticks after boot (with the pid, what tells one process from a later one with the same pid).
/// </summary>
public readonly record struct ProcessCounters(double UserSeconds, double SystemSeconds, long ResidentBytes, long StartTicks)
{
    public double CpuSeconds => UserSeconds + SystemSeconds;
}
