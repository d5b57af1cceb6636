namespace Formation.Silo.Platform;

/// <summary>How a helper process ended: exit code and the last lines of its (merged) output.</summary>
public sealed record ProcessResult(int ExitCode, IReadOnlyList<string> OutputTail, bool TimedOut);
