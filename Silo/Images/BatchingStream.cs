namespace Formation.Silo.Images;

/// <summary>
/// Sits between an <see cref="System.Net.Security.SslStream"/> and its socket, which it otherwise talks to one TLS record
/// (at most 16 KiB) per system call: a read takes whatever the socket holds, up to <see cref="BufferBytes"/>, in one call
/// and hands it out record by record; writes, while <see cref="GatherWrites"/> is on, are gathered into one send of up to
/// <see cref="BufferBytes"/>, and a flush sends what is gathered. The bytes and their order do not change: this is
/// below TLS, it sees only ciphertext. Off (the default) during the handshake and the request and answer, whose writes
/// go out as they are made.
/// </summary>
internal sealed class BatchingStream(Stream inner) : Stream
{
    public const int BufferBytes = 256 << 10;

    private readonly byte[] _read = new byte[BufferBytes];
    private int _readStart;
    private int _readEnd;
    private byte[]? _write;
    private int _written;

    /// <summary>On: writes wait in a buffer until it is full or the stream is flushed.</summary>
    public bool GatherWrites { get; set; }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        if (_readStart == _readEnd)
        {
            if (buffer.Length >= BufferBytes)
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }

            (_readStart, _readEnd) = (0, await inner.ReadAsync(_read, cancellationToken));
            if (_readEnd == 0)
            {
                return 0;
            }
        }

        var n = Math.Min(buffer.Length, _readEnd - _readStart);
        _read.AsSpan(_readStart, n).CopyTo(buffer.Span);
        _readStart += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!GatherWrites && _written == 0)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            return;
        }

        _write ??= new byte[BufferBytes];
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(buffer.Length, BufferBytes - _written);
            buffer.Span[..n].CopyTo(_write.AsSpan(_written));
            _written += n;
            buffer = buffer[n..];
            if (_written == BufferBytes)
            {
                await SendGatheredAsync(cancellationToken);
            }
        }

        if (!GatherWrites)
        {
            await SendGatheredAsync(cancellationToken);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await SendGatheredAsync(cancellationToken);
        await inner.FlushAsync(cancellationToken);
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    private async ValueTask SendGatheredAsync(CancellationToken cancellationToken)
    {
        if (_written > 0)
        {
            var n = _written;
            _written = 0;
            await inner.WriteAsync(_write.AsMemory(0, n), cancellationToken);
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
