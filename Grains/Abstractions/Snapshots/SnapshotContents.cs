namespace Formation.Snapshots;

/// <summary>One file of a stored snapshot, for a node that fetches it: its path in the snapshot (<c>disk.img</c> or <c>machine/NAME</c>) and length.</summary>
[GenerateSerializer, Immutable, Alias("formation.snapshot-file")]
public sealed record SnapshotFile([property: Id(0)] string Path, [property: Id(1)] long Length);

/// <summary>What a node that holds a snapshot tells a node that fetches it: the snapshot and its files.</summary>
[GenerateSerializer, Immutable, Alias("formation.snapshot-contents")]
public sealed record SnapshotContents([property: Id(0)] SnapshotInfo Info, [property: Id(1)] IReadOnlyList<SnapshotFile> Files)
{
    /// <summary>The most files a snapshot may have (its disk and the driver's machine-state files).</summary>
    public const int MaxFiles = 64;

    /// <summary>
    /// Throws unless every path is <c>disk.img</c> or <c>machine/NAME</c> (NAME one plain file name), no path repeats, lengths
    /// are not negative, and the disk is no larger than the snapshot's disk size: what a fetching node accepts from a source.
    /// </summary>
    public void Validate()
    {
        if (Files.Count is 0 or > MaxFiles)
        {
            throw new InvalidDataException($"snapshot {Info.ShortId} lists {Files.Count} files (1 to {MaxFiles} expected)");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Files)
        {
            if (!IsSnapshotPath(file.Path) || !seen.Add(file.Path))
            {
                throw new InvalidDataException($"snapshot {Info.ShortId} lists a file '{file.Path}' that is not one of a snapshot's");
            }

            var limit = file.Path == DiskPath ? Math.Max(1, Info.DiskGiB) << 30 : Math.Max(1, Info.MemoryMiB + 1024) << 20;
            if (file.Length < 0 || file.Length > limit)
            {
                throw new InvalidDataException($"snapshot {Info.ShortId} lists '{file.Path}' with {file.Length} bytes (at most {limit} expected)");
            }
        }
    }

    public const string DiskPath = "disk.img";
    public const string MachinePrefix = "machine/";

    public static bool IsSnapshotPath(string path)
    {
        if (path == DiskPath)
        {
            return true;
        }

        if (!path.StartsWith(MachinePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var name = path[MachinePrefix.Length..];
        return name.Length is > 0 and <= 128 && name is not ("." or "..") &&
            name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
    }
}
