namespace Formation.Grains.Images;

/// <summary>
/// How a node came to hold an image: it held it already (<see cref="Fetched"/> false), fetched it from
/// <see cref="Source"/> (<see cref="Bytes"/> of data in <see cref="Elapsed"/>, every file verified), or could not
/// (<see cref="Error"/> says why). Callers that shared one fetch get the same <see cref="FetchId"/>.
/// <see cref="Verifying"/> is the part of <see cref="Elapsed"/> spent verifying the files and renaming them into the store;
/// <see cref="Transport"/> says how the bytes came (the image stream, or grain calls and why).
/// </summary>
[GenerateSerializer, Immutable, Alias("formation.image-fetch-result")]
public sealed record ImageFetchResult(
    [property: Id(0)] string Digest,
    [property: Id(1)] string NodeId,
    [property: Id(2)] bool Fetched,
    [property: Id(3)] string? Source,
    [property: Id(4)] long Bytes,
    [property: Id(5)] TimeSpan Elapsed,
    [property: Id(6)] string? Error,
    [property: Id(7)] string? FetchId,
    [property: Id(8)] TimeSpan Verifying = default,
    [property: Id(9)] string? Transport = null)
{
    public bool Succeeded => Error is null;
}
