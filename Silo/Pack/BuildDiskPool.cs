using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// Build disks kept between builds, so a build does not pay for mkfs, a loop mount and an unmount (tens to a hundred
/// milliseconds under load, most of a tiny build's sandbox cost). A disk is a sparse file formatted ext4 and
/// loop-mounted (nosuid, nodev) in <see cref="PackOptions.BuildDiskDirectory"/>, exactly as large as the limit of
/// the build it was made for; a build takes an idle disk of its limit's size or makes one. When the build ends its
/// files are deleted, the freed blocks are trimmed (the host's file keeps only what is in use), and the disk goes back
/// only if its free blocks and inodes are again those of the freshly made file system — so the next build, of this
/// or any tenant, gets the whole limit and nothing of the last one; otherwise it is unmounted and removed. At most
/// <see cref="MaxIdlePerSize"/> idle disks of one size are kept, each for at most <see cref="IdleLifetime"/>; idle
/// disks are unmounted when the process exits, and a killed process's disks (named after its pid) are unmounted and
/// removed by the next build's sweep.
/// </summary>
internal sealed class BuildDiskPool
{
    public const int MaxIdlePerSize = 2;
    public static readonly TimeSpan IdleLifetime = TimeSpan.FromMinutes(5);

    private const long MaxMissingBytes = 1L << 20;
    private const long MaxMissingInodes = 16;

    private static readonly ConcurrentDictionary<(string Directory, long Gid), BuildDiskPool> Pools = new();

    private readonly string _directory;
    private readonly long _gid;
    private readonly Lock _gate = new();
    private readonly List<(PooledBuildDisk Disk, DateTime Since)> _idle = [];
    private Timer? _expiry;

    static BuildDiskPool() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var pool in Pools.Values)
        {
            pool.DestroyIdleAsync(TimeSpan.Zero).GetAwaiter().GetResult();
        }
    };

    private BuildDiskPool(string directory, long gid)
    {
        _directory = directory;
        _gid = gid;
    }

    /// <summary>The process's pool for <paramref name="options"/>' disk directory and build range.</summary>
    public static BuildDiskPool For(PackOptions options) =>
        Pools.GetOrAdd((Path.GetFullPath(options.BuildDiskDirectory), options.BuildUidBase), key => new BuildDiskPool(key.Directory, key.Gid));

    /// <summary>The mount points of the idle disks (for tests).</summary>
    public IReadOnlyList<string> IdleMountPoints
    {
        get
        {
            lock (_gate)
            {
                return [.. _idle.Select(i => i.Disk.MountPoint)];
            }
        }
    }

    /// <summary>An empty disk of exactly <paramref name="sizeBytes"/>: an idle one, or a new one.</summary>
    public async Task<PooledBuildDisk> TakeAsync(long sizeBytes, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var index = _idle.FindIndex(i => i.Disk.SizeBytes == sizeBytes);
            if (index >= 0)
            {
                var disk = _idle[index].Disk;
                _idle.RemoveAt(index);
                return disk;
            }
        }

        return await CreateAsync(sizeBytes, cancellationToken);
    }

    /// <summary>Empties <paramref name="disk"/> and keeps it for the next build, or removes it when it cannot be made as new.</summary>
    public async Task ReturnAsync(PooledBuildDisk disk)
    {
        if (TryEmpty(disk))
        {
            lock (_gate)
            {
                if (_idle.Count(i => i.Disk.SizeBytes == disk.SizeBytes) < MaxIdlePerSize)
                {
                    _idle.Add((disk, DateTime.UtcNow));
                    _expiry ??= new Timer(_ => _ = DestroyIdleAsync(IdleLifetime), null, IdleLifetime / 4, IdleLifetime / 4);
                    return;
                }
            }
        }

        await DestroyAsync(disk);
    }

    /// <summary>Unmounts and removes the idle disks idle for longer than <paramref name="olderThan"/>.</summary>
    public async Task DestroyIdleAsync(TimeSpan olderThan)
    {
        List<PooledBuildDisk> expired;
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            expired = [.. _idle.Where(i => now - i.Since >= olderThan).Select(i => i.Disk)];
            _idle.RemoveAll(i => expired.Contains(i.Disk));
        }

        foreach (var disk in expired)
        {
            await DestroyAsync(disk);
        }
    }

    private async Task<PooledBuildDisk> CreateAsync(long sizeBytes, CancellationToken cancellationToken)
    {
        // Others may pass through (a disk's own root admits only root and the build range) but not list the names.
        Directory.CreateDirectory(_directory);
        File.SetUnixFileMode(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var directory = Path.Combine(_directory, $"{Environment.ProcessId}-disk-{Guid.NewGuid():N}");
        var disk = new PooledBuildDisk(directory, sizeBytes);
        Directory.CreateDirectory(disk.MountPoint);
        try
        {
            await using (var image = new FileStream(disk.Image, FileMode.CreateNew, FileAccess.Write))
            {
                image.SetLength(sizeBytes); // sparse: the host's disk holds only what steps write
            }

            // One shell for both (each process start counts). No journal: what is on the disk lives no longer than a
            // build; noinit_itable: no background zeroing of inode tables, which are already zero in a sparse file.
            var result = await ProcessRunner.RunAsync("/bin/sh",
                ["-c", "mkfs.ext4 -q -F -O ^has_journal -m 0 -E lazy_itable_init=1,nodiscard \"$1\" && mount -o loop,nosuid,nodev,noatime,noinit_itable \"$1\" \"$2\"",
                 "formation-build-disk", disk.Image, disk.MountPoint],
                null, 10, TimeSpan.FromMinutes(2), cancellationToken);
            if (result.ExitCode != 0)
            {
                throw new BuildStepException($"could not make the build's disk (mkfs.ext4, mount -o loop): {string.Join(" | ", result.OutputTail)}");
            }

            // Only root and the build range (the sandbox's root, to reach its step directories) may enter the disk.
            HostOwnership.Chown(disk.MountPoint, 0, _gid);
            File.SetUnixFileMode(disk.MountPoint, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
            (disk.FreshFreeBytes, disk.FreshFreeInodes) = FreeSpace(disk.MountPoint);
            return disk;
        }
        catch
        {
            await DestroyAsync(disk);
            throw;
        }
    }

    /// <summary>Deletes everything a build left on the disk and trims the freed blocks; false unless it is as new again.</summary>
    private static bool TryEmpty(PooledBuildDisk disk)
    {
        try
        {
            foreach (var entry in new DirectoryInfo(disk.MountPoint).EnumerateFileSystemInfos())
            {
                if (entry.Name == "lost+found")
                {
                    continue;
                }

                if (entry is DirectoryInfo { LinkTarget: null } directory)
                {
                    directory.Delete(recursive: true); // does not follow links
                }
                else
                {
                    entry.Delete();
                }
            }

            Trim(disk.MountPoint);
            var (bytes, inodes) = FreeSpace(disk.MountPoint);
            return bytes >= disk.FreshFreeBytes - MaxMissingBytes && inodes >= disk.FreshFreeInodes - MaxMissingInodes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // not reused; removed with its file system
        }
    }

    /// <summary>Unmounts the disk and removes its file and directory; never throws (what is left, the next sweep removes).</summary>
    private static async Task DestroyAsync(PooledBuildDisk disk)
    {
        try
        {
            if (HostMounts.Under(disk.MountPoint).Count > 0)
            {
                await HostMounts.UnmountAsync(disk.MountPoint);
            }

            if (HostMounts.Under(disk.Directory).Count == 0)
            {
                HostPaths.DeleteTree(disk.Directory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Named after this process: once it has exited, the next build's sweep unmounts and removes it.
        }
    }

    private static (long Bytes, long Inodes) FreeSpace(string mountPoint)
    {
        if (statvfs(mountPoint, out var s) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"statvfs('{mountPoint}') failed: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})");
        }

        return ((long)(s.Bavail * s.Frsize), (long)s.Favail);
    }

    /// <summary>FITRIM: the loop device punches the freed blocks out of the host's sparse file. Best effort.</summary>
    private static void Trim(string mountPoint)
    {
        var fd = open(mountPoint, ORdonly | ODirectory | OCloexec);
        if (fd < 0)
        {
            return;
        }

        try
        {
            var range = new FstrimRange { Start = 0, Length = ulong.MaxValue, MinimumLength = 0 };
            _ = ioctl(fd, Fitrim, ref range);
        }
        finally
        {
            _ = close(fd);
        }
    }

    private const int ORdonly = 0;
    private const int ODirectory = 0x10000;
    private const int OCloexec = 0x80000;
    private const ulong Fitrim = 0xC0185879; // _IOWR('X', 121, struct fstrim_range)

    [StructLayout(LayoutKind.Sequential)]
    private struct FstrimRange
    {
        public ulong Start;
        public ulong Length;
        public ulong MinimumLength;
    }

    /// <summary>struct statvfs of 64-bit Linux (glibc and musl).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfs
    {
        public ulong Bsize;
        public ulong Frsize;
        public ulong Blocks;
        public ulong Bfree;
        public ulong Bavail;
        public ulong Files;
        public ulong Ffree;
        public ulong Favail;
        public ulong Fsid;
        public ulong Flag;
        public ulong Namemax;
        public int Spare0, Spare1, Spare2, Spare3, Spare4, Spare5;
    }

#pragma warning disable SYSLIB1054 // plain arguments; DllImport needs no unsafe code
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int statvfs(string path, out StatVfs buffer);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, ref FstrimRange range);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
#pragma warning restore SYSLIB1054
}

/// <summary>One disk of the <see cref="BuildDiskPool"/>: <c>disk.img</c> mounted on <c>disk/</c> in its own directory.</summary>
internal sealed class PooledBuildDisk(string directory, long sizeBytes)
{
    public string Directory => directory;

    public long SizeBytes => sizeBytes;

    public string Image => Path.Combine(directory, "disk.img");

    public string MountPoint => Path.Combine(directory, "disk");

    /// <summary>Free bytes and inodes right after it was made: what an emptied disk must have again to be reused.</summary>
    public long FreshFreeBytes { get; set; }

    public long FreshFreeInodes { get; set; }
}
