namespace Formation.Formfiles;

/// <summary>
/// Parses Formfiles. Never throws on bad input: every problem becomes a <see cref="FormfileDiagnostic"/> with
/// file, line, column and a suggested fix; the Formfile is returned only when there is no error.
/// </summary>
public static class FormfileParser
{
    /// <summary>Largest Formfile accepted (1 MiB).</summary>
    public const int MaxLength = 1 << 20;

    /// <summary>Parses <paramref name="text"/>; <paramref name="fileName"/> is used in diagnostics.</summary>
    public static FormfileParseResult Parse(string text, string fileName = "Formfile")
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        return new FormfileParserSession(text, fileName).Run();
    }
}
