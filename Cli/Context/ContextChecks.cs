using Formation.Formfiles;
using Formation.Images;

namespace Formation.Cli.Context;

/// <summary>
/// Checks a parsed Formfile against its build context before anything is sent: every COPY source must exist in the
/// context directory, must not be left out by <c>.formignore</c>, and must not be a symlink pointing outside.
/// </summary>
public static class ContextChecks
{
    /// <summary>Code of the diagnostics raised here (context problems, not Formfile syntax).</summary>
    public const string Code = "FC001";

    public static IReadOnlyList<FormfileDiagnostic> CheckCopySources(Formfile formfile, string contextDirectory, FormIgnore ignore, string formfilePath)
    {
        var root = ContextPacker.ResolveRoot(contextDirectory);
        var problems = new List<FormfileDiagnostic>();
        foreach (var copy in formfile.Instructions.OfType<CopyInstruction>())
        {
            foreach (var source in copy.Sources)
            {
                var normalized = ContextPaths.NormalizeSource(source, out _);
                if (normalized is null or ".")
                {
                    continue;
                }

                if (Problem(root, normalized, ignore) is { } problem)
                {
                    problems.Add(new FormfileDiagnostic(DiagnosticSeverity.Error, Code, $"COPY source '{source}' {problem.What}", problem.Fix,
                        formfilePath, copy.Location.Line, copy.Location.Column));
                }
            }
        }

        return problems;
    }

    private static (string What, string Fix)? Problem(string root, string normalized, FormIgnore ignore)
    {
        var segments = normalized.Split('/');
        var current = root;
        for (var i = 0; i < segments.Length; i++)
        {
            var relative = string.Join('/', segments[..(i + 1)]);
            current = Path.Combine(current, segments[i]);
            var kind = HostFileType.Of(current);
            if (kind == 0)
            {
                return ($"does not exist in the build context {root}",
                    "create it, or fix the path: COPY sources are relative to the context directory");
            }

            var last = i == segments.Length - 1;
            if (ignore.IsExcluded(relative, kind == HostFileType.Directory))
            {
                return ($"is left out of the build context by {FormIgnore.FileName}", $"remove the pattern matching '{relative}' from {FormIgnore.FileName}");
            }

            if (kind == HostFileType.Symlink)
            {
                var target = new FileInfo(current).LinkTarget ?? "";
                if (!ContextPacker.LinkStaysInside(root, current, target))
                {
                    return ($"is a symlink to '{target}', outside the build context", "copy the file itself into the context directory");
                }
            }
            else if (!last && kind != HostFileType.Directory)
            {
                return ($"goes through '{relative}', which is not a directory", "fix the path");
            }
        }

        return null;
    }
}
