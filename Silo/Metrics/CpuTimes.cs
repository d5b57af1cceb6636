namespace Formation.Silo.Metrics;

/// <summary>Seconds the CPUs spent in each mode since boot (the <c>cpu</c> line of <c>/proc/stat</c>, summed over CPUs).</summary>
public readonly record struct CpuTimes(
    double User, double Nice, double System, double Idle, double IoWait, double Irq, double SoftIrq, double Steal)
{
    public double Total => User + Nice + System + Idle + IoWait + Irq + SoftIrq + Steal;

    /// <summary>Time not idle and not waiting for I/O.</summary>
    public double Busy => Total - Idle - IoWait;

    /// <summary>The modes by their OpenTelemetry <c>cpu.mode</c> names.</summary>
    public IEnumerable<(string Mode, double Seconds)> Modes()
    {
        yield return ("user", User);
        yield return ("nice", Nice);
        yield return ("system", System);
        yield return ("idle", Idle);
        yield return ("iowait", IoWait);
        yield return ("interrupt", Irq + SoftIrq);
        yield return ("steal", Steal);
    }
}
