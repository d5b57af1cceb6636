namespace Formation.Images;

/// <summary>
/// The guest kernel an image boots with: a host path (resolved, not a moving symlink) and its SHA-256.
/// Images reference the node's Formation guest kernel; they never carry a copy.
/// </summary>
[GenerateSerializer, Immutable, Alias("Formation.Images.KernelReference")]
public sealed record KernelReference(
    [property: Id(0)] string Path,
    [property: Id(1)] string Digest);
