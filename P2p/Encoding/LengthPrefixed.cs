namespace Formation.P2p.Encoding;

/// <summary><c>uvarint(len) || bytes</c> messages on a stream, the framing of identify, kad and node records.</summary>
public static class LengthPrefixed
{
    /// <summary>Reads one message of at most <paramref name="maxLength"/> bytes; null at a clean end of stream.</summary>
    public static async ValueTask<byte[]?> ReadAsync(Stream stream, int maxLength, CancellationToken cancellationToken)
    {
        var length = await Varint.ReadAsync(stream, cancellationToken).ConfigureAwait(false);
        if (length is null)
        {
            return null;
        }

        if (length > (ulong)maxLength)
        {
            throw new P2pProtocolException($"message of {length} bytes exceeds the limit of {maxLength}");
        }

        var buffer = new byte[(int)length];
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new P2pProtocolException($"stream ended inside a {length}-byte message", e);
        }

        return buffer;
    }

    /// <summary>Writes one message in a single write.</summary>
    public static async ValueTask WriteAsync(Stream stream, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var framed = new byte[Varint.SizeOf((ulong)message.Length) + message.Length];
        var n = Varint.Write(framed, (ulong)message.Length);
        message.Span.CopyTo(framed.AsSpan(n));
        await stream.WriteAsync(framed, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
