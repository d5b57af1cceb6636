namespace Formation.Silo.Pack;

/// <summary>
/// What to build: the Formfile text (and the path it came from, for diagnostics), the build context as a
/// directory on this node or as a tar stream (what the CLI streams to the silo), and an optional tag
/// (default: the Formfile's NAME).
/// </summary>
public sealed record BuildRequest(
    string FormfileText,
    string FormfilePath = "Formfile",
    string? ContextDirectory = null,
    Stream? ContextTar = null,
    string? Tag = null);
