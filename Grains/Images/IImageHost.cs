using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// The one way grains reach the node's image builder and image store. Long work (a build) runs on the host's threads,
/// never inside a grain turn; progress is reported through <see cref="IProgress{T}"/> from those threads.
/// </summary>
public interface IImageHost
{
    /// <summary>A new, empty build context upload in the node's scratch space.</summary>
    IContextUpload CreateUpload();

    /// <summary>
    /// Builds <paramref name="job"/> in the background and registers the image in the node's store, tagged with the
    /// job's store tag. Throws <see cref="ImageBuildException"/> on failure and <see cref="OperationCanceledException"/>
    /// when cancelled; in both cases nothing is registered.
    /// </summary>
    Task<ImageManifest> BuildAsync(ImageBuildJob job, IProgress<BuildProgress> progress, CancellationToken cancellationToken);

    /// <summary>
    /// Removes <paramref name="tag"/> (<see cref="ImageNames.StoreTag"/>) from the node's store if it points at
    /// <paramref name="digest"/>, and the digest's files once no tag points at them, unless <paramref name="keepFiles"/>
    /// (another image, perhaps another account's, has that digest too). Returns true when something was removed.
    /// </summary>
    Task<bool> RemoveAsync(string tag, string digest, bool keepFiles, CancellationToken cancellationToken);

    /// <summary>The manifest of image <paramref name="digest"/> when the node's store holds all of it; else null.</summary>
    Task<ImageManifest?> FindAsync(string digest, CancellationToken cancellationToken);

    /// <summary>A chunk of <paramref name="fileName"/> of the stored image <paramref name="digest"/>, served to a node that fetches it.</summary>
    Task<ImageChunk> ReadChunkAsync(string digest, string fileName, long offset, CancellationToken cancellationToken);

    /// <summary>
    /// A one-time ticket for this node's image stream to read image <paramref name="digest"/>, for a node that fetches
    /// it; null when this node has no image stream (then the fetch reads chunks through <see cref="ReadChunkAsync"/>).
    /// </summary>
    ImageStreamOffer? OfferStream(string digest);

    /// <summary>
    /// Starts taking in image <paramref name="digest"/> from another node; <paramref name="manifest"/> (the source's) must
    /// hash to <paramref name="digest"/>, else <see cref="InvalidDataException"/> before anything is written.
    /// </summary>
    IImageImport BeginImport(string digest, ImageManifest manifest);
}
