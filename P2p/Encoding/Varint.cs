namespace Formation.P2p.Encoding;

/// <summary>multiformats unsigned-varint: 7 bits per byte, little-endian groups, high bit = more bytes follow.</summary>
public static class Varint
{
    /// <summary>The spec caps varints at 9 bytes (63 bits).</summary>
    public const int MaxLength = 9;

    /// <summary>Bytes needed to encode <paramref name="value"/>.</summary>
    public static int SizeOf(ulong value)
    {
        var n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }

        return n;
    }

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, ulong value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[i++] = (byte)value;
        return i;
    }

    /// <summary>Encodes <paramref name="value"/> into a new array.</summary>
    public static byte[] Encode(ulong value)
    {
        var buffer = new byte[SizeOf(value)];
        Write(buffer, value);
        return buffer;
    }

    /// <summary>
    /// Reads one varint. Returns false when <paramref name="source"/> ends before the varint does (more bytes needed);
    /// throws <see cref="P2pProtocolException"/> for an overlong or non-minimal encoding.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int consumed)
    {
        value = 0;
        for (var i = 0; i < source.Length; i++)
        {
            if (i == MaxLength)
            {
                throw new P2pProtocolException("varint longer than 9 bytes");
            }

            var b = source[i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                if (b == 0 && i > 0)
                {
                    throw new P2pProtocolException("varint is not minimally encoded");
                }

                consumed = i + 1;
                return true;
            }
        }

        if (source.Length >= MaxLength)
        {
            throw new P2pProtocolException("varint longer than 9 bytes");
        }

        consumed = 0;
        return false;
    }

    /// <summary>Reads one varint that must be complete and at most <paramref name="max"/>.</summary>
    public static ulong Read(ReadOnlySpan<byte> source, ulong max, out int consumed)
    {
        if (!TryRead(source, out var value, out consumed))
        {
            throw new P2pProtocolException("truncated varint");
        }

        if (value > max)
        {
            throw new P2pProtocolException($"varint {value} exceeds the limit {max}");
        }

        return value;
    }

    /// <summary>Reads a varint from a stream one byte at a time (never reads past it). Null at a clean end of stream.</summary>
    public static async ValueTask<ulong?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var one = new byte[1];
        ulong value = 0;
        for (var i = 0; ; i++)
        {
            if (i == MaxLength)
            {
                throw new P2pProtocolException("varint longer than 9 bytes");
            }

            var n = await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return i == 0 ? null : throw new P2pProtocolException("stream ended inside a varint");
            }

            value |= (ulong)(one[0] & 0x7F) << (7 * i);
            if ((one[0] & 0x80) == 0)
            {
                if (one[0] == 0 && i > 0)
                {
                    throw new P2pProtocolException("varint is not minimally encoded");
                }

                return value;
            }
        }
    }
}
