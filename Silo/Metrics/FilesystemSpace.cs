namespace Formation.Silo.Metrics;

/// <summary>The data directory's file system: its mount and device, its size, what is free and what unprivileged users may still use.</summary>
public sealed record FilesystemSpace(string MountPoint, string Device, string Type, long Total, long Free, long Available)
{
    public long Used => Math.Max(0, Total - Free);

    /// <summary>Blocks kept for root: free but not available to others.</summary>
    public long Reserved => Math.Max(0, Free - Available);
}
