using System.Globalization;
using Formation.Formfiles;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// The file system a build's steps write onto: a sparse file in the build's scratch directory, formatted ext4 and
/// loop-mounted (nosuid, nodev) when the first step runs, as large as the build may write — the Formfile's DISK, or
/// <see cref="PackOptions.BuildDiskMaxBytes"/> when it sets none (and never more). Each step's overlay upper
/// directory is made on it and copied into the layer store when the step succeeds; it stays on the disk until the
/// build ends, so every step's writes count against the one limit. A step that fills it fails with a message naming
/// the limit; the disk and its file are removed when the build ends, however it ends (a builder that was killed
/// leaves a scratch directory the next build unmounts and removes).
/// </summary>
internal sealed class BuildDisk(string scratch, long limitBytes, string limitText) : IAsyncDisposable
{
    private const long MinimumBytes = 16L << 20;

    private string? _mountPoint;
    private int _steps;

    public long LimitBytes => limitBytes;

    /// <summary>The limit with where it comes from, for error messages.</summary>
    public string LimitText => limitText;

    public string Image => Path.Combine(scratch, "disk.img");

    /// <summary>The disk limit of a build of <paramref name="formfile"/> under <paramref name="options"/>.</summary>
    public static BuildDisk For(Formfile formfile, PackOptions options, string scratch)
    {
        var cap = options.BuildDiskMaxBytes;
        var declared = (long)formfile.Resources.DiskGiB << 30;
        return !formfile.DeclaresDisk ? new BuildDisk(scratch, cap, $"{Size(cap)} (Formation:Pack:BuildDiskMaxBytes; the Formfile sets no DISK)")
            : declared <= cap ? new BuildDisk(scratch, declared, $"{Size(declared)} (DISK {formfile.Resources.DiskGiB} in the Formfile)")
            : new BuildDisk(scratch, cap, $"{Size(cap)} (Formation:Pack:BuildDiskMaxBytes, below the Formfile's DISK {formfile.Resources.DiskGiB})");
    }

    /// <summary>A fresh directory on the disk for one step (the disk is made on first use).</summary>
    public async Task<string> NewStepDirectoryAsync(CancellationToken cancellationToken)
    {
        _mountPoint ??= await MountAsync(cancellationToken);
        var directory = Path.Combine(_mountPoint, "step-" + (++_steps).ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>Whether the disk is (nearly) full: what a step that failed for want of space leaves.</summary>
    public bool IsFull
    {
        get
        {
            if (_mountPoint is null)
            {
                return false;
            }

            var drive = new DriveInfo(_mountPoint);
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
        if (_mountPoint is not null)
        {
            await HostMounts.UnmountAsync(_mountPoint);
            _mountPoint = null;
        }

        File.Delete(Image);
    }

    private async Task<string> MountAsync(CancellationToken cancellationToken)
    {
        if (limitBytes < MinimumBytes)
        {
            throw new BuildStepException($"the build's disk limit {limitText} is below the {Size(MinimumBytes)} a build needs");
        }

        await using (var image = new FileStream(Image, FileMode.CreateNew, FileAccess.Write))
        {
            image.SetLength(limitBytes); // sparse: the host's disk holds only what steps write
        }

        var mountPoint = Path.Combine(scratch, "disk");
        Directory.CreateDirectory(mountPoint);

        // One shell for both (each process start counts in a short build). No journal: the disk lives no longer than
        // the build; noinit_itable: no background zeroing of inode tables, which are already zero in a sparse file.
        var result = await ProcessRunner.RunAsync("/bin/sh",
            ["-c", "mkfs.ext4 -q -F -O ^has_journal -m 0 -E lazy_itable_init=1,nodiscard \"$1\" && mount -o loop,nosuid,nodev,noatime,noinit_itable \"$1\" \"$2\"",
             "formation-build-disk", Image, mountPoint],
            null, 10, TimeSpan.FromMinutes(2), cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new BuildStepException($"could not make the build's disk (mkfs.ext4, mount -o loop): {string.Join(" | ", result.OutputTail)}");
        }

        return mountPoint;
    }

    private static string Size(long bytes) => bytes % (1L << 30) == 0
        ? $"{bytes >> 30} GiB"
        : $"{bytes >> 20} MiB";
}
