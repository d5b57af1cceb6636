using System.Globalization;

namespace Formation.Silo.Platform;

/// <summary>Disk image files: cheap copies and what they really take on the host's disk.</summary>
public static class HostDisks
{
    /// <summary>
    /// Copies a disk image as cheaply as the filesystem allows: a reflink (copy-on-write, instant) where it can, else a
    /// sparse copy (holes stay holes). Nothing may write <paramref name="source"/> meanwhile.
    /// </summary>
    public static Task CopyAsync(string source, string target, CancellationToken cancellationToken) =>
        ProcessRunner.CaptureAsync("cp", ["--sparse=always", "--reflink=auto", source, target], cancellationToken);

    /// <summary>Bytes <paramref name="path"/> occupies on disk (less than its length when it is sparse).</summary>
    public static async Task<long> AllocatedBytesAsync(string path, CancellationToken cancellationToken)
    {
        var fields = (await ProcessRunner.CaptureAsync("stat", ["-c", "%b %B", path], cancellationToken)).Split(' ');
        return long.Parse(fields[0], CultureInfo.InvariantCulture) * long.Parse(fields[1], CultureInfo.InvariantCulture);
    }
}
