using System.Formats.Tar;
using Formation.Images;

namespace Formation.Cli.Context;

/// <summary>
/// Packs a build context directory as a tar archive: regular files, directories and symlinks, in a stable order,
/// owned by root, with fixed times (so an unchanged directory packs to the same bytes). Paths matched by
/// <c>.formignore</c> are left out. Symlinks are stored as links and never followed; a symlink that points outside
/// the directory, and anything that is not a file, directory or symlink, is skipped with a note.
/// </summary>
public static class ContextPacker
{
    public static async Task<ContextSummary> WriteTarAsync(string directory, FormIgnore ignore, Stream output, CancellationToken cancellationToken)
    {
        var root = ResolveRoot(directory);
        var walk = new Walk(root, ignore);
        await using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            await walk.DirectoryAsync(writer, root, "", cancellationToken);
        }

        return new ContextSummary(walk.Files, walk.Directories, walk.Symlinks, walk.Bytes, walk.Skipped);
    }

    /// <summary>The context directory with every symlink in its own path resolved.</summary>
    public static string ResolveRoot(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"the build context directory '{directory}' does not exist");
        }

        var info = new DirectoryInfo(full);
        return (info.LinkTarget is null ? info : info.ResolveLinkTarget(returnFinalTarget: true) ?? info).FullName.TrimEnd('/') is { Length: > 0 } path ? path : "/";
    }

    /// <summary>True when <paramref name="linkPath"/>'s target stays inside <paramref name="root"/>.</summary>
    public static bool LinkStaysInside(string root, string linkPath, string target)
    {
        if (Path.IsPathRooted(target))
        {
            return false;
        }

        var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(linkPath)!, target));
        return resolved == root || resolved.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);
    }

    private sealed class Walk(string root, FormIgnore ignore)
    {
        public int Files { get; private set; }

        public int Directories { get; private set; }

        public int Symlinks { get; private set; }

        public long Bytes { get; private set; }

        public List<string> Skipped { get; } = [];

        public async Task DirectoryAsync(TarWriter writer, string path, string relative, CancellationToken cancellationToken)
        {
            var children = new DirectoryInfo(path).EnumerateFileSystemInfos().OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            foreach (var child in children)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var name = relative.Length == 0 ? child.Name : relative + "/" + child.Name;
                var kind = HostFileType.Of(child.FullName);
                if (ignore.IsExcluded(name, kind == HostFileType.Directory))
                {
                    continue;
                }

                switch (kind)
                {
                    case HostFileType.Symlink:
                        var target = child.LinkTarget ?? "";
                        if (!LinkStaysInside(root, child.FullName, target))
                        {
                            Skipped.Add($"{name}: a symlink to '{target}', outside the context");
                            break;
                        }

                        await writer.WriteEntryAsync(Entry(TarEntryType.SymbolicLink, name, (UnixFileMode)0b111_111_111, target), cancellationToken);
                        Symlinks++;
                        break;
                    case HostFileType.Directory:
                        await writer.WriteEntryAsync(Entry(TarEntryType.Directory, name + "/", child.UnixFileMode, null), cancellationToken);
                        Directories++;
                        await DirectoryAsync(writer, child.FullName, name, cancellationToken);
                        break;
                    case HostFileType.Regular:
                        await using (var data = new FileStream(child.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, useAsync: true))
                        {
                            var entry = Entry(TarEntryType.RegularFile, name, child.UnixFileMode, null);
                            entry.DataStream = data;
                            await writer.WriteEntryAsync(entry, cancellationToken);
                            Bytes += data.Length;
                        }

                        Files++;
                        break;
                    default:
                        Skipped.Add($"{name}: {HostFileType.Describe(kind)}");
                        break;
                }
            }
        }

        private static PaxTarEntry Entry(TarEntryType type, string name, UnixFileMode mode, string? linkName)
        {
            var entry = new PaxTarEntry(type, name)
            {
                Mode = mode,
                Uid = 0,
                Gid = 0,
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            if (linkName is not null)
            {
                entry.LinkName = linkName;
            }

            return entry;
        }
    }
}
