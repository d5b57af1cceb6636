using System.Globalization;
using Formation.Formfiles;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// The file system a build's steps write onto: an ext4 disk of the <see cref="BuildDiskPool"/> (loop-mounted, nosuid,
/// nodev), as large as the build may write — the Formfile's DISK, or <see cref="PackOptions.BuildDiskMaxBytes"/> when
/// it sets none (and never more) — taken when the first step runs. Each step's overlay upper directory is made on it
/// and copied into the layer store when the step succeeds; it stays on the disk until the build ends, so every step's
/// writes count against the one limit. A step that fills it fails with a message naming the limit. When the build
/// ends, however it ends, the disk is emptied and given back (or removed, see the pool).
/// </summary>
internal sealed class BuildDisk(BuildDiskPool pool, long limitBytes, string limitText) : IAsyncDisposable
{
    private const long MinimumBytes = 16L << 20;

    private PooledBuildDisk? _disk;
    private int _steps;

    public long LimitBytes => limitBytes;

    /// <summary>The limit with where it comes from, for error messages.</summary>
    public string LimitText => limitText;

    /// <summary>The disk limit of a build of <paramref name="formfile"/> under <paramref name="options"/>.</summary>
    public static BuildDisk For(Formfile formfile, PackOptions options)
    {
        var pool = BuildDiskPool.For(options);
        var cap = options.BuildDiskMaxBytes;
        var declared = (long)formfile.Resources.DiskGiB << 30;
        return !formfile.DeclaresDisk ? new BuildDisk(pool, cap, $"{Size(cap)} (Formation:Pack:BuildDiskMaxBytes; the Formfile sets no DISK)")
            : declared <= cap ? new BuildDisk(pool, declared, $"{Size(declared)} (DISK {formfile.Resources.DiskGiB} in the Formfile)")
            : new BuildDisk(pool, cap, $"{Size(cap)} (Formation:Pack:BuildDiskMaxBytes, below the Formfile's DISK {formfile.Resources.DiskGiB})");
    }

    /// <summary>A fresh directory on the disk for one step (the disk is taken on first use).</summary>
    public async Task<string> NewStepDirectoryAsync(CancellationToken cancellationToken)
    {
        if (_disk is null)
        {
            if (limitBytes < MinimumBytes)
            {
                throw new BuildStepException($"the build's disk limit {limitText} is below the {Size(MinimumBytes)} a build needs");
            }

            _disk = await pool.TakeAsync(limitBytes, cancellationToken);
        }

        var directory = Path.Combine(_disk.MountPoint, "step-" + (++_steps).ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Whether the disk is (nearly) full: what a step that failed for want of space leaves.</summary>
    public bool IsFull
    {
        get
        {
            if (_disk is null)
            {
                return false;
            }

            var drive = new DriveInfo(_disk.MountPoint);
            return drive.AvailableFreeSpace < Math.Max(1L << 20, drive.TotalSize / 100);
        }
    }

    /// <summary>Copies a finished step's upper directory (owners, modes, xattrs, links, whiteouts) into the layer's staging directory.</summary>
    public static async Task CopyOutAsync(string upper, string target, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync("cp", ["-a", "--no-target-directory", upper, target], null, 10, TimeSpan.FromHours(1), cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new BuildStepException($"could not copy the step's files into the layer store: {string.Join(" | ", result.OutputTail)}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disk is not null)
        {
            await pool.ReturnAsync(_disk);
            _disk = null;
        }
    }

    private static string Size(long bytes) => bytes % (1L << 30) == 0
        ? $"{bytes >> 30} GiB"
        : $"{bytes >> 20} MiB";
}
