using Formation.Silo.Metrics;

namespace Formation.Bench.Metrics;

/// <summary>CPU seconds a process has used so far (user + system, all threads), from /proc/PID/stat.</summary>
public static class ProcessCpu
{
    public static double Seconds(int pid) =>
        ProcParsers.ParseProcessStat(File.ReadAllText($"/proc/{pid}/stat"), Environment.SystemPageSize).CpuSeconds;
}
