using System.Security.Cryptography;
using Formation.Grains.Images;
using Formation.Silo.Pack;
using Formation.Silo.Platform;

namespace Formation.Silo.Images;

/// <summary>
/// A build context arriving in chunks, written to <c>pack/tmp/&lt;pid&gt;-upload-…/context.tar</c> (so the builder's
/// clean-up removes it if the silo dies) while its SHA-256 is computed. Dispose deletes it.
/// </summary>
internal sealed class ContextUpload : IContextUpload
{
    private readonly string _directory;
    private readonly string _path;
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private string? _digest;
    private bool _disposed;

    public ContextUpload(PackPaths paths)
    {
        paths.EnsureCreated();
        _directory = paths.NewTempDirectory("upload");
        _path = Path.Combine(_directory, "context.tar");
        _file = new FileStream(_path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16, useAsync: true);
    }

    public long Length { get; private set; }

    public async Task AppendAsync(ReadOnlyMemory<byte> chunk, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_digest is not null)
        {
            throw new InvalidOperationException("the upload is complete");
        }

        await _file.WriteAsync(chunk, cancellationToken);
        _hash.AppendData(chunk.Span);
        Length += chunk.Length;
    }

    public string Sha256()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_digest is null)
        {
            _file.Flush();
            _digest = Convert.ToHexStringLower(_hash.GetHashAndReset());
        }

        return _digest;
    }

    public Stream OpenRead()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _file.Flush();
        return new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _file.Dispose();
        _hash.Dispose();
        HostPaths.DeleteTree(_directory);
    }
}
