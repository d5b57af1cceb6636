using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Formation.Formfiles;
using Formation.Images;
using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// The build context: the directory COPY reads from. Resolves COPY sources without ever leaving the context
/// (absolute paths and <c>..</c> are rejected by the parser; every symlink on a source's path, and every symlink
/// inside a copied directory, must stay inside the context),
/// digests them for the layer cache and streams them as a tar archive into the image.
/// </summary>
internal sealed class BuildContext
{
    private BuildContext(string root) => Root = root;

    /// <summary>The context directory, fully resolved.</summary>
    public string Root { get; }

    public static BuildContext FromDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new BuildStepException($"the build context directory '{directory}' does not exist");
        }

        return new BuildContext(HostPaths.RealPath(directory));
    }

    /// <summary>The entries <paramref name="copy"/> places under its destination, in a stable order.</summary>
    public IReadOnlyList<ContextEntry> Resolve(CopyInstruction copy)
    {
        var entries = new SortedDictionary<string, ContextEntry>(StringComparer.Ordinal);
        foreach (var source in copy.Sources)
        {
            var path = ResolveInside(source);
            if (Directory.Exists(path))
            {
                Walk(new DirectoryInfo(path), "", entries);
            }
            else
            {
                Add(entries, new FileInfo(path), Path.GetFileName(source == "." ? path : source));
            }
        }

        return [.. entries.Values];
    }

    /// <summary>Digest of what the entries would place in the image: paths, kinds, modes, contents and link targets.</summary>
    public static async Task<string> DigestAsync(IReadOnlyList<ContextEntry> entries, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var entry in entries)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{entry.Kind}\0{entry.TargetPath}\0{(int)entry.Mode}\0{entry.LinkTarget}\0"));
            if (entry.Kind == ContextEntryKind.File)
            {
                hash.AppendData(Convert.FromHexString(await PackDigest.FileHexAsync(entry.SourcePath, cancellationToken)));
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Writes the entries as a tar archive owned by root (what the in-image tar extracts).</summary>
    public static async Task WriteTarAsync(IReadOnlyList<ContextEntry> entries, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new TarWriter(output, TarEntryFormat.Gnu, leaveOpen: true);
        foreach (var entry in entries)
        {
            var type = entry.Kind switch
            {
                ContextEntryKind.Directory => TarEntryType.Directory,
                ContextEntryKind.Symlink => TarEntryType.SymbolicLink,
                _ => TarEntryType.RegularFile,
            };
            var tarEntry = new GnuTarEntry(type, entry.TargetPath) { Mode = entry.Mode, Uid = 0, Gid = 0, UserName = "root", GroupName = "root" };
            if (entry.Kind == ContextEntryKind.Symlink)
            {
                tarEntry.LinkName = entry.LinkTarget!;
            }

            if (entry.Kind == ContextEntryKind.File)
            {
                await using var data = File.OpenRead(entry.SourcePath);
                tarEntry.DataStream = data;
                await writer.WriteEntryAsync(tarEntry, cancellationToken);
            }
            else
            {
                await writer.WriteEntryAsync(tarEntry, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Resolves <paramref name="source"/> one component at a time, the way <c>openat2(RESOLVE_BENEATH)</c> does:
    /// every symlink on the way (not just the last component) is followed inside the context and refused when it
    /// is absolute or climbs above the context root, so <c>d -&gt; /etc</c> with <c>COPY d/shadow</c> never reads the
    /// host's file. Returns the real path, which is always inside <see cref="Root"/>.
    /// </summary>
    private string ResolveInside(string source)
    {
        const int MaxLinks = 40; // the kernel's own limit (ELOOP)
        var pending = new Stack<string>(source.Split('/').Reverse());
        var current = Root;
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (current == Root)
                {
                    throw new BuildStepException($"COPY source '{source}' climbs above the build context");
                }

                current = Path.GetDirectoryName(current)!;
                continue;
            }

            var next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is not { } link)
            {
                if (!info.Exists && !Directory.Exists(next))
                {
                    throw new BuildStepException($"COPY source '{source}' does not exist in the build context");
                }

                current = next;
                continue;
            }

            if (++links > MaxLinks)
            {
                throw new BuildStepException($"COPY source '{source}' follows more than {MaxLinks} symlinks");
            }

            if (Path.IsPathRooted(link) || !IsInside(Path.GetFullPath(Path.Combine(current, link))))
            {
                throw new BuildStepException(
                    $"COPY source '{source}' goes through '{Path.GetRelativePath(Root, next)}', a symlink to '{link}' that points outside the build context; copy the files themselves into the context");
            }

            foreach (var linkPart in link.Split('/').Reverse())
            {
                pending.Push(linkPart);
            }
        }

        return current;
    }

    private void Walk(DirectoryInfo directory, string prefix, SortedDictionary<string, ContextEntry> entries)
    {
        foreach (var child in directory.EnumerateFileSystemInfos())
        {
            var target = prefix.Length == 0 ? child.Name : prefix + "/" + child.Name;
            if (child.LinkTarget is null && child is DirectoryInfo subdirectory)
            {
                entries[target] = new ContextEntry(target, ContextEntryKind.Directory, child.FullName, child.UnixFileMode, null, 0);
                Walk(subdirectory, target, entries);
            }
            else
            {
                Add(entries, child, target);
            }
        }
    }

    private void Add(SortedDictionary<string, ContextEntry> entries, FileSystemInfo info, string target)
    {
        if (info.LinkTarget is { } link)
        {
            var resolved = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(info.FullName)!, link));
            if (Path.IsPathRooted(link) || !IsInside(resolved))
            {
                throw new BuildStepException(
                    $"'{Path.GetRelativePath(Root, info.FullName)}' is a symlink to '{link}', outside the build context; copy the file itself into the context");
            }

            entries[target] = new ContextEntry(target, ContextEntryKind.Symlink, info.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, link, 0);
            return;
        }

        if (info is not FileInfo file || HostFileType.Of(file.FullName) != HostFileType.Regular)
        {
            throw new BuildStepException($"'{Path.GetRelativePath(Root, info.FullName)}' is not a regular file, directory or symlink; COPY cannot copy it");
        }

        entries[target] = new ContextEntry(target, ContextEntryKind.File, file.FullName, file.UnixFileMode, null, file.Length);
    }

    private bool IsInside(string path) => path == Root || path.StartsWith(Root + "/", StringComparison.Ordinal);
}
