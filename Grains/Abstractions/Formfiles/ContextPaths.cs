namespace Formation.Formfiles;

/// <summary>Path rules shared by the parser and the builder: COPY sources stay inside the context, image paths are absolute.</summary>
public static class ContextPaths
{
    /// <summary>
    /// Normalizes a COPY source to a context-relative path with '/' separators ("." for the whole context), or
    /// returns null with the reason: absolute, leaving the context with "..", wildcards, or empty.
    /// </summary>
    public static string? NormalizeSource(string source, out string problem)
    {
        problem = "";
        if (source.Length == 0 || source.Contains('\0'))
        {
            problem = "is empty or contains a NUL character";
            return null;
        }

        if (source.StartsWith('/') || source.StartsWith('~'))
        {
            problem = "is an absolute path; only files inside the build context can be copied";
            return null;
        }

        if (source.IndexOfAny(['*', '?', '[']) >= 0)
        {
            problem = "contains a wildcard; wildcards are not supported, name the files or their directory";
            return null;
        }

        var parts = new List<string>();
        foreach (var segment in source.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (parts.Count == 0)
                {
                    problem = "leaves the build context with '..'";
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(segment);
        }

        return parts.Count == 0 ? "." : string.Join('/', parts);
    }

    /// <summary>Normalizes an image path (absolute, or relative to <paramref name="workdir"/>); ".." stops at "/".</summary>
    public static string? NormalizeImagePath(string path, string workdir)
    {
        if (path.Length == 0 || path.Contains('\0'))
        {
            return null;
        }

        var combined = path.StartsWith('/') ? path : workdir.TrimEnd('/') + "/" + path;
        var parts = new List<string>();
        foreach (var segment in combined.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(segment);
        }

        return "/" + string.Join('/', parts);
    }
}
