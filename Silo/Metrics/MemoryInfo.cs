namespace Formation.Silo.Metrics;

/// <summary>The host's memory from <c>/proc/meminfo</c>, in bytes.</summary>
public readonly record struct MemoryInfo(long Total, long Available, long Free, long Buffers, long Cached)
{
    /// <summary>What programs hold and the kernel cannot give back: total less available.</summary>
    public long Used => Math.Max(0, Total - Available);
}
