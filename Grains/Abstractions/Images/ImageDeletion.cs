namespace Formation.Images;

/// <summary>What <see cref="IImageGrain.DeleteAsync"/> removed.</summary>
/// <param name="Digest">The digest of the deleted version, or null when the image had never built successfully.</param>
/// <param name="Nodes">The nodes whose image stores were cleaned.</param>
[GenerateSerializer, Immutable, Alias("formation.image-deletion")]
public sealed record ImageDeletion(
    [property: Id(0)] string Reference,
    [property: Id(1)] string? Digest,
    [property: Id(2)] IReadOnlyList<string> Nodes);
