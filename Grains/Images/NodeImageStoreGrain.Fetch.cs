using System.Diagnostics;
using Formation.Errors;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// Fetching an image onto this node: from a node the image's record names as a holder, into scratch space, verified
/// against the manifest's digests and renamed into the store whole. One fetch per image at a time; whoever asks
/// meanwhile joins it. The grain calls negotiate (the manifest, a one-time ticket); the bytes come over the source's
/// image stream (mutual TLS between the nodes, on the host's threads). Where the source offers no stream, or it cannot
/// be reached, they come in grain calls of <see cref="ImageChunk.MaxBytes"/> each, a few in flight, and the VM's
/// events say so. What arrives is verified the same way whichever way it came.
/// </summary>
public sealed partial class NodeImageStoreGrain
{
    /// <summary>Chunk requests in flight per fetch: enough to keep the transport busy, few enough to bound memory (4 MiB).</summary>
    private const int Window = 4;

    /// <summary>VMs hear progress at most this often.</summary>
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, Fetch> _fetches = new(StringComparer.Ordinal);

    public Task<ImageFetchResult> EnsureAsync(string reference, string digest) => Join(reference, digest, waiter: null).Outcome;

    public async Task<bool> RequestForVmAsync(string reference, string digest, string vmGrainKey)
    {
        if (!_fetches.ContainsKey(digest) && await host.FindAsync(digest, CancellationToken.None) is not null)
        {
            return true;
        }

        Join(reference, digest, vmGrainKey);
        return false;
    }

    /// <summary>The running fetch of <paramref name="digest"/>, or a new one; registered before any await, so it is never started twice.</summary>
    private Fetch Join(string reference, string digest, string? waiter)
    {
        if (!_fetches.TryGetValue(digest, out var fetch))
        {
            fetch = new Fetch(reference, digest);
            _fetches[digest] = fetch;
            fetch.Outcome = RunAsync(fetch);
        }

        if (waiter is not null && !fetch.Waiters.Contains(waiter))
        {
            fetch.Waiters.Add(waiter);
        }

        return fetch;
    }

    private async Task<ImageFetchResult> RunAsync(Fetch fetch)
    {
        await Task.Yield(); // let Join register the fetch first
        DelayDeactivation(TimeSpan.FromHours(1));
        ImageFetchResult result;
        try
        {
            result = await FetchAsync(fetch);
        }
        catch (Exception ex)
        {
            result = Failed(fetch, ex.Message);
        }
        finally
        {
            _fetches.Remove(fetch.Digest);
        }

        if (result.Error is { } error)
        {
            LogFetchFailed(fetch.Digest, error);
        }

        foreach (var waiter in fetch.Waiters)
        {
            try
            {
                await GrainFactory.GetGrain<IVmImageWaiter>(waiter).ImageFetchedAsync(result);
            }
            catch (Exception ex)
            {
                LogWaiterUnreachable(ex, waiter, fetch.Digest);
            }
        }

        return result;
    }

    private async Task<ImageFetchResult> FetchAsync(Fetch fetch)
    {
        if (await host.FindAsync(fetch.Digest, CancellationToken.None) is not null)
        {
            return new ImageFetchResult(fetch.Digest, NodeId, false, null, 0, TimeSpan.Zero, null, fetch.Id);
        }

        var status = await GrainFactory.GetGrain<IImageGrain>(fetch.Reference).GetStatusAsync();
        if (status.State == ImageBuildState.Unknown)
        {
            return Failed(fetch, $"image '{fetch.Reference}' no longer exists{(status.Error is null ? "" : $" ({status.Error})")}");
        }

        var record = GrainFactory.GetGrain<IImageRecordGrain>(status.RecordKey());
        var sources = (await record.HoldersAsync(fetch.Digest)).Where(n => n != NodeId).ToList();
        if (sources.Count == 0)
        {
            return Failed(fetch, $"no node holds image {status.RecordKey()} ({ImageReference.Short(fetch.Digest)}); build it again with `form pack build`");
        }

        var problems = new List<string>();
        foreach (var source in sources)
        {
            try
            {
                var (bytes, elapsed, verifying, transport) = await FetchFromAsync(fetch, source);
                if (!await record.AddHolderAsync(fetch.Digest, NodeId))
                {
                    await host.RemoveAsync(ImageNames.StoreTag(status.Owner(), status.Reference), fetch.Digest, keepFiles: false, CancellationToken.None);
                    return Failed(fetch, $"image {status.RecordKey()} was deleted while it was being fetched");
                }

                LogFetched(fetch.Digest, source, bytes, (long)elapsed.TotalMilliseconds, (long)verifying.TotalMilliseconds);
                return new ImageFetchResult(fetch.Digest, NodeId, true, source, bytes, elapsed, null, fetch.Id, verifying, transport);
            }
            catch (Exception ex)
            {
                problems.Add($"from node {source}: {Describe(ex)}");
                LogSourceFailed(fetch.Digest, source, Describe(ex));
            }
        }

        return Failed(fetch, string.Join("; ", problems));
    }

    /// <summary>Fetches every file of the image from <paramref name="source"/> and registers it; throws on any failure (nothing stays).</summary>
    private async Task<(long Bytes, TimeSpan Elapsed, TimeSpan Verifying, string Transport)> FetchFromAsync(Fetch fetch, string source)
    {
        var watch = Stopwatch.StartNew();
        var remote = GrainFactory.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore(source));
        var manifest = await remote.GetManifestAsync(fetch.Digest)
            ?? throw new FileNotFoundException($"node {source} no longer holds it");
        using var import = host.BeginImport(fetch.Digest, manifest);
        var total = import.Files.Sum(f => f.SizeBytes);
        Report(fetch, new ImageFetchProgress(fetch.Digest, source, 0, total));
        string transport;
        if (await remote.OfferStreamAsync(fetch.Digest) is not { } offer)
        {
            transport = $"over grain calls (node {source} offers no image stream)";
            await ReadChunksAsync(fetch, source, remote, import, total, watch);
        }
        else
        {
            try
            {
                await ReceiveAsync(fetch, source, offer, import, total);
                transport = "over the image stream";
            }
            catch (ImageStreamUnreachableException ex)
            {
                // Nothing was written yet: the same import takes the chunks instead.
                LogStreamUnreachable(fetch.Digest, source, offer.Endpoint, ex.Message);
                transport = $"over grain calls (the image stream of node {source} at {offer.Endpoint} was unreachable: {ex.Message})";
                await ReadChunksAsync(fetch, source, remote, import, total, watch);
            }
        }

        var transferred = watch.Elapsed;
        await import.CommitAsync(CancellationToken.None);
        return (total, watch.Elapsed, watch.Elapsed - transferred, transport);
    }

    /// <summary>The bytes over the source's image stream, received on the host's threads; progress from here every second.</summary>
    private async Task ReceiveAsync(Fetch fetch, string source, ImageStreamOffer offer, IImageImport import, long total)
    {
        var receive = import.ReceiveAsync(offer, CancellationToken.None);
        while (!receive.IsCompleted)
        {
            await Task.WhenAny(receive, Task.Delay(ProgressInterval));
            if (!receive.IsCompleted)
            {
                Report(fetch, new ImageFetchProgress(fetch.Digest, source, import.Received, total));
            }
        }

        await receive;
    }

    /// <summary>The bytes in grain calls of one chunk each, <see cref="Window"/> in flight.</summary>
    private async Task ReadChunksAsync(Fetch fetch, string source, INodeImageStoreGrain remote, IImageImport import, long total, Stopwatch watch)
    {
        long received = 0;
        var reported = watch.Elapsed;
        var pending = new Queue<(long Offset, Task<ImageChunk> Read)>();
        try
        {
            foreach (var file in import.Files)
            {
                long next = 0;
                while (next < file.SizeBytes || pending.Count > 0)
                {
                    while (pending.Count < Window && next < file.SizeBytes)
                    {
                        pending.Enqueue((next, remote.ReadChunkAsync(fetch.Digest, file.FileName, next)));
                        next += ImageChunk.MaxBytes;
                    }

                    var (offset, read) = pending.Dequeue();
                    await import.WriteAsync(file.FileName, offset, await read, CancellationToken.None);
                    received += ImageChunk.RangeLength(offset, file.SizeBytes);
                    if (watch.Elapsed - reported >= ProgressInterval)
                    {
                        reported = watch.Elapsed;
                        Report(fetch, new ImageFetchProgress(fetch.Digest, source, received, total));
                    }
                }
            }
        }
        finally
        {
            foreach (var (_, read) in pending)
            {
                read.Ignore(); // reads still in flight when a chunk failed: their outcome no longer matters
            }
        }
    }

    /// <summary>Tells the waiting VMs, without waiting for them (progress is news, not a handshake).</summary>
    private void Report(Fetch fetch, ImageFetchProgress progress)
    {
        foreach (var waiter in fetch.Waiters)
        {
            GrainFactory.GetGrain<IVmImageWaiter>(waiter).ImageFetchProgressAsync(progress).Ignore();
        }
    }

    private ImageFetchResult Failed(Fetch fetch, string error) =>
        new(fetch.Digest, NodeId, false, null, 0, TimeSpan.Zero, error, fetch.Id);

    /// <summary>What went wrong, in words: a silo that is gone says so instead of a transport exception's text.</summary>
    private static string Describe(Exception ex) => ex switch
    {
        FormationException { Kind: ErrorKind.NodeUnavailable } => ex.Message,
        InvalidDataException or FileNotFoundException or FormationException => ex.Message,
        TimeoutException => "the source did not answer in time",
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private sealed class Fetch(string reference, string digest)
    {
        public string Reference { get; } = reference;

        public string Digest { get; } = digest;

        public string Id { get; } = Guid.NewGuid().ToString("N")[..12];

        public List<string> Waiters { get; } = [];

        public Task<ImageFetchResult> Outcome { get; set; } = null!;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Image {Digest} fetched from node {Source}: {Bytes} bytes in {Milliseconds} ms ({VerifyMilliseconds} ms of it verifying and storing)")]
    private partial void LogFetched(string digest, string source, long bytes, long milliseconds, long verifyMilliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {Digest}: fetching from node {Source} failed: {Problem}")]
    private partial void LogSourceFailed(string digest, string source, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {Digest}: the image stream of node {Source} at {Endpoint} was unreachable ({Problem}); fetching in grain calls")]
    private partial void LogStreamUnreachable(string digest, string source, string endpoint, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {Digest}: fetch failed: {Problem}")]
    private partial void LogFetchFailed(string digest, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {Digest}: could not tell {Waiter} how its fetch ended")]
    private partial void LogWaiterUnreachable(Exception ex, string waiter, string digest);
}
