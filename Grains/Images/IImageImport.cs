using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// An image arriving from another node, chunk by chunk, in the node's scratch space. Nothing of it is in the store
/// until <see cref="CommitAsync"/> has verified it; Dispose deletes whatever did not make it in.
/// </summary>
public interface IImageImport : IDisposable
{
    /// <summary>The files to fetch (file name and size), in the order to fetch them.</summary>
    IReadOnlyList<ImageArtifact> Files { get; }

    /// <summary>
    /// Writes <paramref name="chunk"/>, the answer to a request for <paramref name="fileName"/> at <paramref name="offset"/>;
    /// throws <see cref="InvalidDataException"/> when it is not that (wrong offset, length or file size).
    /// </summary>
    Task WriteAsync(string fileName, long offset, ImageChunk chunk, CancellationToken cancellationToken);

    /// <summary>
    /// Receives every file from the source's image stream (<paramref name="offer"/>), on the host's threads, checking each
    /// file's length against the manifest; <see cref="Received"/> counts the bytes as they arrive. Throws
    /// <see cref="ImageStreamUnreachableException"/> when the stream cannot be reached or authenticated (nothing was
    /// written: the caller may read chunks instead), <see cref="InvalidDataException"/> or <see cref="IOException"/>
    /// when what arrives is not what was asked for or ends early.
    /// </summary>
    Task ReceiveAsync(ImageStreamOffer offer, CancellationToken cancellationToken);

    /// <summary>Bytes of the files received so far by <see cref="ReceiveAsync"/> (holes count as received).</summary>
    long Received { get; }

    /// <summary>Verifies every file against the manifest's digests and registers the image; throws <see cref="InvalidDataException"/> on a mismatch.</summary>
    Task<ImageManifest> CommitAsync(CancellationToken cancellationToken);
}
