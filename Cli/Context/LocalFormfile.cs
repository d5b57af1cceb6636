using Formation.Errors;
using Formation.Formfiles;

namespace Formation.Cli.Context;

/// <summary>
/// A Formfile read from disk with its build context: parsed with the same parser the builder uses, and its COPY
/// sources checked against the context directory and its <c>.formignore</c>. Diagnostics are in line order.
/// </summary>
public sealed record LocalFormfile(
    string Path,
    string ContextDirectory,
    string Text,
    Formfile? Formfile,
    FormIgnore Ignore,
    IReadOnlyList<FormfileDiagnostic> Diagnostics)
{
    public int ErrorCount => Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);

    public int WarningCount => Diagnostics.Count - ErrorCount;

    /// <summary>Reads <paramref name="file"/> (default <c>DIR/Formfile</c>) and checks it against <paramref name="directory"/> (default ".").</summary>
    public static LocalFormfile Load(string? directory, string? file)
    {
        var context = directory ?? ".";
        if (!Directory.Exists(context))
        {
            throw FormationException.Invalid($"The build context directory '{context}' does not exist; give the directory that holds the Formfile and its files.");
        }

        var path = file ?? (directory is null ? "Formfile" : System.IO.Path.Join(directory, "Formfile"));
        if (!File.Exists(path))
        {
            throw FormationException.Invalid(
                $"No Formfile at {path}: create one there, or name it with -f PATH (`form pack validate DIR -f PATH`).");
        }

        var text = File.ReadAllText(path);
        var parsed = FormfileParser.Parse(text, path);
        var ignore = FormIgnore.Load(context);
        var diagnostics = new List<FormfileDiagnostic>(parsed.Diagnostics);
        if (parsed.Formfile is { } formfile)
        {
            diagnostics.AddRange(ContextChecks.CheckCopySources(formfile, context, ignore, path));
        }

        return new LocalFormfile(path, context, text, parsed.Formfile, ignore,
            [.. diagnostics.OrderBy(d => d.Line).ThenBy(d => d.Column)]);
    }
}
