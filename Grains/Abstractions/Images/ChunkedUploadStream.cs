using System.Security.Cryptography;

namespace Formation.Images;

/// <summary>
/// A write-only stream that sends what is written in chunks of <paramref name="chunkSize"/> bytes through
/// <paramref name="send"/> (offset, bytes), in order, one at a time, and computes the SHA-256 of everything sent.
/// Call <see cref="CompleteAsync"/> to send the last partial chunk.
/// </summary>
public sealed class ChunkedUploadStream(Func<long, byte[], Task> send, int chunkSize) : Stream
{
    private readonly byte[] _buffer = new byte[chunkSize];
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _count;
    private long _sent;
    private string? _sha256;

    /// <summary>Lower-case hex SHA-256 of the whole upload (after <see cref="CompleteAsync"/>).</summary>
    public string Sha256 => _sha256 ?? throw new InvalidOperationException("the upload is not complete");

    /// <summary>Chunks sent so far.</summary>
    public int Chunks { get; private set; }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _sent + _count;

    public override long Position
    {
        get => Length;
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, _buffer.Length - _count);
            buffer[..take].CopyTo(_buffer.AsMemory(_count));
            _count += take;
            buffer = buffer[take..];
            if (_count == _buffer.Length)
            {
                await SendAsync();
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Sends what is buffered and finishes the digest.</summary>
    public async Task CompleteAsync()
    {
        if (_count > 0)
        {
            await SendAsync();
        }

        _sha256 ??= Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task SendAsync()
    {
        var chunk = _buffer.AsSpan(0, _count).ToArray();
        _hash.AppendData(chunk);
        await send(_sent, chunk);
        _sent += chunk.Length;
        _count = 0;
        Chunks++;
    }
}
