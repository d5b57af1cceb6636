using Formation.Grains.Images;
using Formation.Identity;
using Formation.Images;
using Formation.Silo.Pack;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Images;

/// <summary>
/// The node's image builder and store behind <see cref="IImageHost"/>: uploads go to the builder's scratch space,
/// builds run on the thread pool (never on a grain's scheduler), removals, chunk reads and fetched images go through
/// <see cref="ImageStore"/>; tickets for the node's image stream come from <see cref="ImageStreamServer"/>.
/// </summary>
internal sealed class ImageHost(IOptions<PackOptions> options, ImageBuilder builder, ImageStore store, ImageStreamServer stream, ClusterCredential? node)
    : IImageHost
{
    public IContextUpload CreateUpload() => new ContextUpload(options.Value.Paths);

    public Task<ImageManifest> BuildAsync(ImageBuildJob job, IProgress<BuildProgress> progress, CancellationToken cancellationToken) =>
        Task.Run(async () =>
        {
            await using var tar = job.Context.OpenRead();
            return await builder.BuildAsync(new BuildRequest(job.FormfileText, job.FormfilePath, ContextTar: tar, Tag: job.StoreTag), progress, cancellationToken);
        }, CancellationToken.None);

    public Task<bool> RemoveAsync(string tag, string digest, bool keepFiles, CancellationToken cancellationToken) =>
        Task.Run(async () =>
        {
            var removed = false;
            if (ImageStore.IsValidTag(tag) && await store.GetAsync(tag, cancellationToken) is { } tagged &&
                tagged.Manifest.Digest == digest && tagged.Tags.Contains(tag))
            {
                removed = keepFiles ? store.Untag(tag) : await store.DeleteAsync(tag, cancellationToken);
            }

            if (!keepFiles && await store.GetAsync(digest, cancellationToken) is { Tags.IsEmpty: true })
            {
                removed |= await store.DeleteAsync(digest, cancellationToken);
            }

            return removed;
        }, CancellationToken.None);

    public Task<ImageManifest?> FindAsync(string digest, CancellationToken cancellationToken) => store.FindAsync(digest, cancellationToken);

    public Task<ImageChunk> ReadChunkAsync(string digest, string fileName, long offset, CancellationToken cancellationToken) =>
        store.ReadChunkAsync(digest, fileName, offset, cancellationToken);

    public ImageStreamOffer? OfferStream(string digest) => stream.Offer(digest);

    public IImageImport BeginImport(string digest, ImageManifest manifest) => new ImageImport(store, digest, manifest, node);
}
