namespace Formation.Formfiles;

/// <summary>
/// One finding of the Formfile parser: where (file, 1-based line and column), what was wrong
/// (<see cref="Message"/>) and how to fix it (<see cref="Suggestion"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.FormfileDiagnostic")]
public sealed record FormfileDiagnostic(
    [property: Id(0)] DiagnosticSeverity Severity,
    [property: Id(1)] string Code,
    [property: Id(2)] string Message,
    [property: Id(3)] string? Suggestion,
    [property: Id(4)] string File,
    [property: Id(5)] int Line,
    [property: Id(6)] int Column)
{
    /// <summary>Compiler-style text: <c>Formfile:3:1: error FF001: unknown directive 'RNU' (did you mean 'RUN'?)</c>.</summary>
    public override string ToString()
    {
        var severity = Severity == DiagnosticSeverity.Error ? "error" : "warning";
        var text = $"{File}:{Line}:{Column}: {severity} {Code}: {Message}";
        return Suggestion is null ? text : $"{text} ({Suggestion})";
    }
}
