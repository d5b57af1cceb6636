namespace Formation.Silo.Pack;

/// <summary>
/// A command to run inside an image root: the layers below (top first, as directory names under
/// <c>pack/layers</c>), a fresh upper directory that becomes the new layer, and the argv inside the root.
/// </summary>
internal sealed record IsolatedCommand(
    IReadOnlyList<string> LowerLayers,
    string UpperDirectory,
    IReadOnlyList<string> Argv,
    IReadOnlyDictionary<string, string> Environment,
    bool Network = false,
    Func<Stream, CancellationToken, Task>? Stdin = null);
