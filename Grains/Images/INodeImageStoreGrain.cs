using Formation.Identity;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// A node's image store, reached from anywhere in the cluster (key: <see cref="Formation.Images.ImageKeys.NodeStore"/>,
/// host-affine). It serves its images to nodes that fetch them, and fetches images its node lacks: at most one fetch
/// per image at a time, shared by everyone who asks.
/// </summary>
[Alias("formation.node-image-store")]
public interface INodeImageStoreGrain : IGrainWithStringKey
{
    /// <summary>See <see cref="IImageHost.RemoveAsync"/>. Node-only: it removes files whoever's image they are.</summary>
    [Alias("remove")]
    [NodeOnly]
    Task<bool> RemoveAsync(string tag, string digest, bool keepFiles);

    /// <summary>
    /// The manifest of image <paramref name="digest"/> if this node holds it whole; else null. Node-only, like
    /// <see cref="ReadChunkAsync"/>: a digest is no permission — whoever knew one (another account's, seen in a log or
    /// guessed from a public base) would otherwise read that image's files, bypassing the image's owner check.
    /// </summary>
    [Alias("manifest"), NodeOnly]
    Task<ImageManifest?> GetManifestAsync(string digest);

    /// <summary>
    /// A chunk of <paramref name="fileName"/> of image <paramref name="digest"/> from <paramref name="offset"/> (see <see cref="ImageChunk"/>):
    /// what a fetching node reads when the source offers no image stream. Nodes only.
    /// </summary>
    [Alias("read-chunk"), NodeOnly]
    Task<ImageChunk> ReadChunkAsync(string digest, string fileName, long offset);

    /// <summary>
    /// A one-time ticket for this node's image stream to read image <paramref name="digest"/> (see <see cref="ImageStreamOffer"/>);
    /// null when this node has no image stream. Nodes only: a client has no business reading image files.
    /// </summary>
    [Alias("offer-stream"), NodeOnly]
    Task<ImageStreamOffer?> OfferStreamAsync(string digest);

    /// <summary>
    /// Returns once this node holds image <paramref name="digest"/> of <paramref name="reference"/> (read in its owner's
    /// account whoever asks: <see cref="ImageNames.InAccount"/>), fetching it from a
    /// node that holds it if needed (joining a fetch of it that is already running); the result says how, or why not.
    /// </summary>
    [Alias("ensure")]
    Task<ImageFetchResult> EnsureAsync(string reference, string digest);

    /// <summary>
    /// For a VM of this node: true when the node holds the image; otherwise starts (or joins) its fetch and returns
    /// false, and the VM's grain hears progress and the outcome through <see cref="IVmImageWaiter"/>.
    /// </summary>
    [Alias("request-for-vm")]
    Task<bool> RequestForVmAsync(string reference, string digest, string vmGrainKey);
}
