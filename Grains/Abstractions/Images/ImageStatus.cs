namespace Formation.Images;

/// <summary>An image as the cluster knows it: build state, digest, size and the nodes that hold its files.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.image-status")]
public sealed record ImageStatus(
    [property: Id(0)] string Reference,
    [property: Id(1)] ImageBuildState State,
    [property: Id(2)] string? Digest,
    [property: Id(3)] long SizeBytes,
    [property: Id(4)] IReadOnlyList<string> Nodes,
    [property: Id(5)] string? Error,
    [property: Id(6)] DateTimeOffset UpdatedAt);
