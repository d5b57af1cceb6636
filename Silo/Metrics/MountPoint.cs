namespace Formation.Silo.Metrics;

/// <summary>The mount a path lives on (<c>/proc/self/mountinfo</c>): where, which device (major:minor), what it is.</summary>
public sealed record MountPoint(string Path, int Major, int Minor, string Source, string FileSystem);
