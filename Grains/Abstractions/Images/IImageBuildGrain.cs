namespace Formation.Images;

/// <summary>
/// One build on one node (key: <see cref="ImageKeys.BuildSession"/>, activated on that node's silo). The client opens
/// it, streams the build context (a tar archive) in chunks of at most <see cref="MaxChunkBytes"/>, starts it, and then
/// follows it with <see cref="WatchAsync"/> or on the stream <see cref="Events.EventStreams.ForBuild"/>. The build runs
/// in the background on the host; a session abandoned while uploading is discarded after a short idle time.
/// </summary>
[Alias("formation.image-build")]
public interface IImageBuildGrain : IGrainWithStringKey
{
    /// <summary>Largest chunk <see cref="UploadAsync"/> accepts (1 MiB).</summary>
    public const int MaxChunkBytes = 1 << 20;

    /// <summary>Validates the Formfile and the reference, and marks the image as building (Conflict if a build of it runs).</summary>
    [Alias("open")]
    [Mutating]
    Task<ImageBuildUpdate> OpenAsync(ImageBuildRequest request);

    /// <summary>Appends a chunk of the context archive at <paramref name="offset"/> (the bytes received so far); returns the new total.</summary>
    [Alias("upload")]
    [Mutating(Quiet = true)]
    Task<long> UploadAsync(long offset, byte[] chunk);

    /// <summary>Checks the archive's length and SHA-256 (lower-case hex) and starts the build in the background.</summary>
    [Alias("start")]
    [Mutating]
    Task<ImageBuildUpdate> StartAsync(long totalBytes, string sha256);

    /// <summary>
    /// The session's state and the progress events from index <paramref name="after"/> on; waits up to
    /// <paramref name="wait"/> for new events when there are none yet and the build is not over.
    /// </summary>
    [Alias("watch"), AlwaysInterleave]
    [NonMutating]
    Task<ImageBuildUpdate> WatchAsync(int after, TimeSpan wait);

    /// <summary>Stops the build (or discards the upload). Nothing of a cancelled build is registered. Idempotent.</summary>
    [Alias("cancel"), AlwaysInterleave]
    [Mutating]
    Task<ImageBuildUpdate> CancelAsync();
}
