namespace Formation.Silo.Platform;

/// <summary>Host path helpers.</summary>
public static class HostPaths
{
    /// <summary>Resolves every symlink in <paramref name="path"/> (like realpath(3)); missing trailing parts stay as given.</summary>
    public static string RealPath(string path)
    {
        var pending = new Stack<string>(Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = "/";
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? "/";
                continue;
            }

            if (part == ".")
            {
                continue;
            }

            var next = Path.Combine(current, part);
            var link = new FileInfo(next).LinkTarget;
            if (link is null)
            {
                current = next;
                continue;
            }

            if (++hops > 40)
            {
                throw new IOException($"too many levels of symbolic links in '{path}'");
            }

            foreach (var linkPart in link.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(linkPart);
            }

            if (link.StartsWith('/'))
            {
                current = "/";
            }
        }

        return current;
    }

    /// <summary>Deletes a directory tree if it exists; never follows symlinks out of it.</summary>
    public static void DeleteTree(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
