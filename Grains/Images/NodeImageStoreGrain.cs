using Formation.Grains.Placement;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// Runs image store operations on the node named by its key: removals, serving chunks to nodes that fetch, and fetching
/// the images its node lacks (<see cref="NodeImageStoreGrain"/>.Fetch). Reentrant: chunk reads of several fetches
/// interleave, and a fetch runs in the background while callers join it.
/// </summary>
[HostAffinityPlacement, Reentrant]
public sealed partial class NodeImageStoreGrain(IImageHost host, ILogger<NodeImageStoreGrain> logger) : Grain, INodeImageStoreGrain
{
    private string NodeId => GrainKeys.NodeOf(this.GetPrimaryKeyString());

    public Task<bool> RemoveAsync(string tag, string digest, bool keepFiles) => host.RemoveAsync(tag, digest, keepFiles, CancellationToken.None);

    public Task<ImageManifest?> GetManifestAsync(string digest) => host.FindAsync(digest, CancellationToken.None);

    public Task<ImageChunk> ReadChunkAsync(string digest, string fileName, long offset) =>
        host.ReadChunkAsync(digest, fileName, offset, CancellationToken.None);

    public Task<ImageStreamOffer?> OfferStreamAsync(string digest) => Task.FromResult(host.OfferStream(digest));
}
