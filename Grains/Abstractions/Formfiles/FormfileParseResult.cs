using System.Collections.Immutable;

namespace Formation.Formfiles;

/// <summary>
/// The outcome of <see cref="FormfileParser.Parse"/>: the Formfile when there was no error, and all
/// diagnostics (errors and warnings) in source order.
/// </summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.FormfileParseResult")]
public sealed record FormfileParseResult(
    [property: Id(0)] Formfile? Formfile,
    [property: Id(1)] ImmutableArray<FormfileDiagnostic> Diagnostics)
{
    /// <summary>True when the Formfile parsed without errors (warnings allowed).</summary>
    public bool Succeeded => Formfile is not null;

    /// <summary>Only the errors.</summary>
    public IEnumerable<FormfileDiagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);
}
