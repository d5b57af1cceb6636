namespace Formation.Silo.Pack;

/// <summary>A step failed for a reason the Formfile author can fix (missing COPY source, symlink out of the context...).</summary>
internal sealed class BuildStepException(string message, int? exitCode = null, IReadOnlyList<string>? outputTail = null) : Exception(message)
{
    public int? ExitCode { get; } = exitCode;

    public IReadOnlyList<string> OutputTail { get; } = outputTail ?? [];
}
