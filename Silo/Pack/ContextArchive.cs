using System.Formats.Tar;
using Formation.Formfiles;

namespace Formation.Silo.Pack;

/// <summary>
/// Unpacks a build context sent as a tar stream (what <c>form pack build</c> streams to the silo). Only regular
/// files, directories and symlinks are accepted; names may not be absolute or climb out with <c>..</c>; symlinks are
/// created last so no file is ever written through one.
/// </summary>
internal static class ContextArchive
{
    public static async Task ExtractAsync(Stream tar, string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var links = new List<(string Path, string Target)>();
        var linkPaths = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var name = ContextPaths.NormalizeSource(entry.Name, out var problem);
            if (name is null)
            {
                if (entry.Name.Trim('/', '.').Length == 0)
                {
                    continue; // "./" — the context root itself
                }

                throw new BuildStepException($"the build context archive has an unsafe entry '{entry.Name}': it {problem}");
            }

            if (name == ".")
            {
                continue;
            }

            if (linkPaths.Any(link => name.StartsWith(link + "/", StringComparison.Ordinal)))
            {
                throw new BuildStepException($"the build context archive writes '{name}' through a symlink");
            }

            var path = Path.Combine(directory, name);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    File.SetUnixFileMode(path, entry.Mode | UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await using (var output = new FileStream(path, FileMode.Create, FileAccess.Write))
                    {
                        if (entry.DataStream is not null)
                        {
                            await entry.DataStream.CopyToAsync(output, cancellationToken);
                        }
                    }

                    File.SetUnixFileMode(path, entry.Mode);
                    break;
                case TarEntryType.SymbolicLink:
                    links.Add((path, entry.LinkName));
                    linkPaths.Add(name);
                    break;
                case TarEntryType.ExtendedAttributes or TarEntryType.GlobalExtendedAttributes:
                    break;
                default:
                    throw new BuildStepException($"the build context archive entry '{entry.Name}' is a {entry.EntryType}; only files, directories and symlinks are supported");
            }
        }

        foreach (var (path, target) in links)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.CreateSymbolicLink(path, target);
        }
    }
}
