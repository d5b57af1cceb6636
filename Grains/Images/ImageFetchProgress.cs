namespace Formation.Grains.Images;

/// <summary>A running fetch of image <see cref="Digest"/> from <see cref="Source"/>: <see cref="Received"/> of <see cref="Total"/> bytes.</summary>
[GenerateSerializer, Immutable, Alias("formation.image-fetch-progress")]
public sealed record ImageFetchProgress(
    [property: Id(0)] string Digest,
    [property: Id(1)] string Source,
    [property: Id(2)] long Received,
    [property: Id(3)] long Total);
