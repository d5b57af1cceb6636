namespace Formation.Silo.Pack;

/// <summary>One thing a COPY places in the image: a path relative to the destination, and where it comes from.</summary>
internal sealed record ContextEntry(string TargetPath, ContextEntryKind Kind, string SourcePath, UnixFileMode Mode, string? LinkTarget, long Length);
