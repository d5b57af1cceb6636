namespace Formation.Formfiles;

/// <summary>How serious a Formfile diagnostic is. Errors reject the Formfile; warnings do not.</summary>
[GenerateSerializer, Alias("Formation.Formfiles.DiagnosticSeverity")]
public enum DiagnosticSeverity
{
    Error = 0,
    Warning = 1,
}
