namespace Formation.Silo.Metrics;

/// <summary>
/// Reads the node's counters: <c>/proc/stat</c>, <c>/proc/loadavg</c>, <c>/proc/meminfo</c>, <c>/proc/net/dev</c>, and the
/// space and I/O (<c>/proc/diskstats</c>) of the file system that holds the data directory.
/// </summary>
public sealed class NodeSampler
{
    private readonly string _dataDirectory;
    private readonly MetricsWarnings _warnings;
    private readonly MountPoint? _mount;

    public NodeSampler(string dataDirectory, MetricsWarnings warnings)
    {
        _dataDirectory = Path.GetFullPath(dataDirectory);
        _warnings = warnings;
        _mount = ProcParsers.FindMount(File.ReadAllText("/proc/self/mountinfo"), _dataDirectory);
    }

    public NodeSample Sample(DateTimeOffset at, string procNetDev)
    {
        var (cpu, count) = ProcParsers.ParseStat(File.ReadAllText("/proc/stat"));
        var load = ProcParsers.ParseLoadAverage(File.ReadAllText("/proc/loadavg"));
        var memory = ProcParsers.ParseMemInfo(File.ReadAllText("/proc/meminfo"));
        var interfaces = ProcParsers.ParseNetDev(procNetDev);
        return new NodeSample(at, cpu, Math.Max(count, 1), load, memory, Space(), Disk(), interfaces);
    }

    private FilesystemSpace Space()
    {
        var drive = new DriveInfo(_mount?.Path ?? _dataDirectory);
        return new FilesystemSpace(_mount?.Path ?? drive.RootDirectory.FullName, _mount?.Source ?? drive.Name, _mount?.FileSystem ?? drive.DriveFormat,
            drive.TotalSize, drive.TotalFreeSpace, drive.AvailableFreeSpace);
    }

    private DiskCounters? Disk()
    {
        if (_mount is not { Major: > 0 } mount)
        {
            _warnings.Once("disk-device",
                $"the data directory {_dataDirectory} is on {_mount?.FileSystem ?? "an unknown file system"} without a block device: no disk I/O metrics for it");
            return null;
        }

        var disk = ProcParsers.ParseDiskStats(File.ReadAllText("/proc/diskstats"), mount.Major, mount.Minor);
        if (disk is null)
        {
            _warnings.Once("disk-stats", $"/proc/diskstats does not list {mount.Source} ({mount.Major}:{mount.Minor}): no disk I/O metrics for the data directory");
        }

        return disk;
    }
}
