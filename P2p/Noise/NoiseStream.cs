using System.Buffers;
using System.Buffers.Binary;

namespace Formation.P2p.Noise;

/// <summary>
/// The encrypted channel after a Noise handshake: every message is <c>u16 BE length || ciphertext || tag</c>, at most
/// 65535 bytes, so writes are split into frames of at most 65519 plaintext bytes. Decrypted bytes are buffered, since a
/// Noise frame does not line up with the frames of the layer above. One reader and one writer at a time.
/// </summary>
public sealed class NoiseStream : DuplexStream
{
    /// <summary>Largest plaintext in one Noise transport message.</summary>
    public const int MaxPlaintext = 65535 - CipherState.TagLength;

    // Buffers come from the shared pool only while bytes are in flight, so an idle connection holds none.
    private const int ReadBufferSize = 2 * (2 + 65535);
    private readonly Stream _transport;
    private readonly CipherState _send = new();
    private readonly CipherState _receive = new();
    private byte[]? _raw;
    private byte[]? _plain;
    private int _rawStart;
    private int _rawEnd;
    private int _plainStart;
    private int _plainEnd;

    internal NoiseStream(Stream transport, byte[] sendKey, byte[] receiveKey)
    {
        _transport = transport;
        _send.InitializeKey(sendKey);
        _receive.InitializeKey(receiveKey);
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        while (true)
        {
            if (_plainEnd > _plainStart)
            {
                var n = Math.Min(buffer.Length, _plainEnd - _plainStart);
                _plain!.AsSpan(_plainStart, n).CopyTo(buffer.Span);
                _plainStart += n;
                if (_plainStart == _plainEnd)
                {
                    ArrayPool<byte>.Shared.Return(_plain!);
                    _plain = null;
                }

                return n;
            }

            if (!await FillAsync(2, cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(_raw!.AsSpan(_rawStart));
            if (length < CipherState.TagLength)
            {
                throw new P2pProtocolException($"noise frame of {length} bytes is shorter than its tag");
            }

            if (!await FillAsync(2 + length, cancellationToken).ConfigureAwait(false))
            {
                throw new P2pProtocolException("the connection ended inside a noise frame");
            }

            var frame = _raw!.AsSpan(_rawStart + 2, length);
            _rawStart += 2 + length;
            var plainLength = length - CipherState.TagLength;
            int decrypted;
            if (buffer.Length >= plainLength)
            {
                // Decrypt straight into the caller's buffer when the whole frame fits.
                decrypted = _receive.DecryptWithAd([], frame, buffer.Span);
            }
            else
            {
                _plain = ArrayPool<byte>.Shared.Rent(MaxPlaintext);
                _plainStart = 0;
                _plainEnd = _receive.DecryptWithAd([], frame, _plain);
                decrypted = 0;
                if (_plainEnd == 0)
                {
                    ArrayPool<byte>.Shared.Return(_plain);
                    _plain = null;
                }
            }

            ReleaseRawIfEmpty();
            if (decrypted > 0)
            {
                return decrypted;
            }
        }
    }

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (buffer.Length > 0)
        {
            // Up to 16 frames (about 1 MiB) per write to the socket.
            var chunk = Math.Min(buffer.Length, 16 * MaxPlaintext);
            var frames = (chunk + MaxPlaintext - 1) / MaxPlaintext;
            var output = ArrayPool<byte>.Shared.Rent(chunk + frames * (2 + CipherState.TagLength));
            try
            {
                var written = 0;
                var source = buffer[..chunk];
                while (source.Length > 0)
                {
                    var n = Math.Min(source.Length, MaxPlaintext);
                    BinaryPrimitives.WriteUInt16BigEndian(output.AsSpan(written), (ushort)(n + CipherState.TagLength));
                    written += 2;
                    written += _send.EncryptWithAd([], source.Span[..n], output.AsSpan(written));
                    source = source[n..];
                }

                await _transport.WriteAsync(output.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(output);
            }

            buffer = buffer[chunk..];
        }
    }

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => _transport.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public override void Flush() => _transport.Flush();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _transport.Dispose();
            _send.Dispose();
            _receive.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ReleaseRawIfEmpty()
    {
        if (_rawStart == _rawEnd && _raw is not null)
        {
            ArrayPool<byte>.Shared.Return(_raw);
            _raw = null;
            _rawStart = _rawEnd = 0;
        }
    }

    /// <summary>Makes at least <paramref name="count"/> raw bytes available; false at the end of the transport.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        if (_rawEnd - _rawStart >= count)
        {
            return true;
        }

        if (_raw is null)
        {
            // Wait for data without holding a buffer (a zero-byte read completes when bytes arrive).
            await _transport.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            _raw = ArrayPool<byte>.Shared.Rent(ReadBufferSize);
            _rawStart = _rawEnd = 0;
        }

        if (_rawStart > 0)
        {
            Buffer.BlockCopy(_raw, _rawStart, _raw, 0, _rawEnd - _rawStart);
            _rawEnd -= _rawStart;
            _rawStart = 0;
        }

        while (_rawEnd < count)
        {
            var n = await _transport.ReadAsync(_raw.AsMemory(_rawEnd), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                var partial = _rawEnd > 0;
                ReleaseRawIfEmpty();
                if (partial)
                {
                    throw new P2pProtocolException("the connection ended inside a noise frame");
                }

                return false;
            }

            _rawEnd += n;
        }

        return true;
    }
}
