namespace Formation.Images;

/// <summary>
/// A file of an image (relative <see cref="FileName"/> inside the image directory) and its digest,
/// <c>sha256-4m:&lt;hex&gt;</c>: SHA-256 over the SHA-256 digests of the file's consecutive 4 MiB chunks (fast on sparse disks).
/// </summary>
/// <param name="SizeBytes">Apparent size (a sparse disk uses less space).</param>
[GenerateSerializer, Immutable, Alias("Formation.Images.ImageArtifact")]
public sealed record ImageArtifact(
    [property: Id(0)] ImageArtifactKind Kind,
    [property: Id(1)] string FileName,
    [property: Id(2)] string Digest,
    [property: Id(3)] long SizeBytes);
