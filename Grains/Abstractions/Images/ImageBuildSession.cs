namespace Formation.Images;

/// <summary>
/// A client's side of one build on one node (<c>form pack build</c>, the dashboard's build dialog): opens the session,
/// streams the context archive in chunks, starts the build, and cancels it when the client gives up, so nothing stays
/// registered and the image is free to build again at once.
/// </summary>
public sealed class ImageBuildSession
{
    public ImageBuildSession(IGrainFactory grains, string nodeId)
    {
        NodeId = nodeId;
        Key = ImageKeys.NewBuildSession(nodeId);
        Grain = grains.GetGrain<IImageBuildGrain>(Key);
    }

    public string NodeId { get; }

    /// <summary>The session key (also the key of its progress stream, <see cref="Events.EventStreams.ForBuild"/>).</summary>
    public string Key { get; }

    public IImageBuildGrain Grain { get; }

    public Task<ImageBuildUpdate> OpenAsync(ImageBuildRequest request) => Grain.OpenAsync(request);

    /// <summary>
    /// Sends the archive that <paramref name="writeArchive"/> writes, in chunks of <see cref="IImageBuildGrain.MaxChunkBytes"/>,
    /// and starts the build with its length and digest.
    /// </summary>
    public async Task<(ImageBuildUpdate Started, long Length, int Chunks)> UploadAndStartAsync(
        Func<Stream, CancellationToken, Task> writeArchive, CancellationToken cancellationToken)
    {
        await using var upload = new ChunkedUploadStream((offset, chunk) => Grain.UploadAsync(offset, chunk), IImageBuildGrain.MaxChunkBytes);
        await writeArchive(upload, cancellationToken);
        await upload.CompleteAsync();
        var started = await Grain.StartAsync(upload.Length, upload.Sha256);
        return (started, upload.Length, upload.Chunks);
    }

    /// <summary>Cancels the session; best effort (an abandoned upload is discarded by the node after its idle timeout anyway).</summary>
    public async Task<ImageBuildUpdate?> CancelQuietlyAsync()
    {
        try
        {
            return await Grain.CancelAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception)
        {
            return null;
        }
    }
}
