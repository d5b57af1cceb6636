using System.Collections.Immutable;

namespace Formation.Images;

/// <summary>Why a build failed: which step, its exit code (for commands) and the tail of its output.</summary>
/// <param name="Line">Formfile line of the failed step, or 0 when the step is not a Formfile line (base, assembly).</param>
[GenerateSerializer, Immutable, Alias("Formation.Images.BuildFailure")]
public sealed record BuildFailure(
    [property: Id(0)] int Step,
    [property: Id(1)] int StepCount,
    [property: Id(2)] string Description,
    [property: Id(3)] int Line,
    [property: Id(4)] int? ExitCode,
    [property: Id(5)] ImmutableArray<string> OutputTail,
    [property: Id(6)] string Message)
{
    public override string ToString()
    {
        var where = Line > 0 ? $" (Formfile line {Line})" : "";
        var code = ExitCode is { } c ? $", exit code {c}" : "";
        var tail = OutputTail.IsDefaultOrEmpty ? "" : "\n  | " + string.Join("\n  | ", OutputTail);
        return $"step {Step}/{StepCount} '{Description}'{where} failed{code}: {Message}{tail}";
    }
}
