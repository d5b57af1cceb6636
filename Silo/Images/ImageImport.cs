using Formation.Grains.Images;
using Formation.Identity;
using Formation.Images;
using Formation.Silo.Pack;
using Microsoft.Win32.SafeHandles;

namespace Formation.Silo.Images;

/// <summary>
/// An image fetched from another node, written into <c>pack/tmp/&lt;pid&gt;-fetch-…/</c> at the offsets asked for
/// (ranges that are holes on the source stay holes here), in chunks or from the source's image stream
/// (<see cref="ImageStreamClient"/>), then verified and renamed into the store by <see cref="ImageStore"/>. Every chunk
/// and every streamed file is checked against what was asked for; Dispose deletes the directory.
/// </summary>
internal sealed class ImageImport : IImageImport
{
    private readonly ImageStore _store;
    private readonly string _digest;
    private readonly ImageManifest _manifest;
    private readonly string _directory;
    private readonly SafeFileHandle _root;
    private readonly ClusterCredential? _node;
    private long _received;

    /// <summary>The root file's digest as computed while it streamed in whole; null when any byte came another way.</summary>
    private string? _receivedDigest;
    private bool _disposed;

    /// <param name="node">This node's credential, shown to the source's image stream (none: no stream, chunks only).</param>
    public ImageImport(ImageStore store, string digest, ImageManifest manifest, ClusterCredential? node = null)
    {
        ImageStore.CheckFetched(digest, manifest);
        _store = store;
        _digest = digest;
        _manifest = manifest;
        _node = node;
        _directory = store.NewFetchDirectory();
        try
        {
            var root = manifest.RootFilesystem;
            _root = File.OpenHandle(Path.Combine(_directory, root.FileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read,
                FileOptions.None, preallocationSize: 0);
            RandomAccess.SetLength(_root, root.SizeBytes);
        }
        catch
        {
            ImageStore.DeleteScratch(_directory);
            throw;
        }

        Files = [manifest.RootFilesystem];
    }

    public IReadOnlyList<ImageArtifact> Files { get; }

    public long Received => Interlocked.Read(ref _received);

    public Task ReceiveAsync(ImageStreamOffer offer, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // A whole image's bytes: on the thread pool, never on a grain's scheduler.
        return Task.Run(async () =>
        {
            using var digest = new ChunkedDigestBuilder();
            await ImageStreamClient.ReceiveAsync(_node, offer, _digest, [new ImageStreamClient.Target(_manifest.RootFilesystem, _root, digest)],
                n => Interlocked.Add(ref _received, n), cancellationToken);
            _receivedDigest = digest.Finish();
        }, CancellationToken.None);
    }

    public async Task WriteAsync(string fileName, long offset, ImageChunk chunk, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var file = _manifest.RootFilesystem;
        if (fileName != file.FileName)
        {
            throw new InvalidDataException($"'{fileName}' is not a file of image {_digest}");
        }

        FileChunks.Check(chunk, offset, file.SizeBytes, fileName);
        _receivedDigest = null; // the file is no longer exactly what streamed in
        await FileChunks.WriteAsync(_root, chunk, cancellationToken);
    }

    public Task<ImageManifest> CommitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RandomAccess.FlushToDisk(_root);
        _root.Dispose();

        // Digesting a large disk takes seconds: on the thread pool, never on a grain's scheduler.
        return Task.Run(() => _store.ImportAsync(_digest, _manifest, _directory, cancellationToken, _receivedDigest), CancellationToken.None);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _root.Dispose();
        ImageStore.DeleteScratch(_directory);
    }
}
