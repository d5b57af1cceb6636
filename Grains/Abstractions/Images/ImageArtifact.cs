namespace Formation.Images;

/// <summary>A file of an image (relative <see cref="FileName"/> inside the image directory) with its SHA-256.</summary>
/// <param name="SizeBytes">Apparent size (a sparse disk uses less space).</param>
[GenerateSerializer, Immutable, Alias("Formation.Images.ImageArtifact")]
public sealed record ImageArtifact(
    [property: Id(0)] ImageArtifactKind Kind,
    [property: Id(1)] string FileName,
    [property: Id(2)] string Digest,
    [property: Id(3)] long SizeBytes);
