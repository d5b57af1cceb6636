namespace Formation.Cli.Context;

/// <summary>What went into a build context archive, and what was left out and why.</summary>
public sealed record ContextSummary(int Files, int Directories, int Symlinks, long FileBytes, IReadOnlyList<string> Skipped);
