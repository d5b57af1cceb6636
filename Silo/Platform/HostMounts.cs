namespace Formation.Silo.Platform;

/// <summary>Mounts the silo makes in its own mount namespace (build disks): finding and removing them.</summary>
public static class HostMounts
{
    /// <summary>The mount points at or below <paramref name="directory"/> in this process's namespace, deepest first.</summary>
    public static IReadOnlyList<string> Under(string directory)
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return [.. File.ReadLines("/proc/self/mountinfo")
            .Select(l => l.Split(' '))
            .Where(f => f.Length > 4)
            .Select(f => Unescape(f[4]))
            .Where(m => m == root || m.StartsWith(root + "/", StringComparison.Ordinal))
            .Distinct()
            .OrderByDescending(m => m.Length)];
    }

    /// <summary>Unmounts <paramref name="mountPoint"/> (lazily when still busy); no error when nothing is mounted there.</summary>
    public static async Task UnmountAsync(string mountPoint)
    {
        var result = await ProcessRunner.RunAsync("umount", [mountPoint], null, 5, TimeSpan.FromMinutes(1), CancellationToken.None);
        if (result.ExitCode != 0 && Under(mountPoint).Contains(Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint))))
        {
            await ProcessRunner.RunAsync("umount", ["--lazy", mountPoint], null, 5, TimeSpan.FromMinutes(1), CancellationToken.None);
        }
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal.</summary>
    private static string Unescape(string field) => field.Contains('\\', StringComparison.Ordinal)
        ? System.Text.RegularExpressions.Regex.Replace(field, @"\\([0-7]{3})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 8)).ToString())
        : field;
}
