namespace Formation.Images;

/// <summary>
/// One piece of an image file as a node serves it to another node that fetches the image: the bytes of
/// [<see cref="Offset"/>, <see cref="Offset"/> + min(<see cref="MaxBytes"/>, <see cref="FileLength"/> − <see cref="Offset"/>)),
/// or no bytes with <see cref="Hole"/> set when that whole range is a hole of a sparse file (it reads as zeros).
/// The receiver trusts none of it: it checks every field against what it asked for and the manifest, and the file's
/// digest once it is complete.
/// </summary>
[GenerateSerializer, Immutable, Alias("Formation.Images.ImageChunk")]
public sealed record ImageChunk(
    [property: Id(0)] long Offset,
    [property: Id(1)] long FileLength,
    [property: Id(2)] bool Hole,
    [property: Id(3)] byte[] Data)
{
    /// <summary>Every chunk covers this many bytes (the last one fewer): 1 MiB, well under the silo's message limit.</summary>
    public const int MaxBytes = 1 << 20;

    /// <summary>The length of the range that starts at <paramref name="offset"/> in a file of <paramref name="fileLength"/> bytes.</summary>
    public static int RangeLength(long offset, long fileLength) => (int)Math.Min(MaxBytes, Math.Max(0, fileLength - offset));
}
