using System.Numerics;

namespace Formation.P2p.Kad;

/// <summary>32 bytes compared big-endian.</summary>
public readonly struct UInt256Bytes(byte[] bytes) : IComparable<UInt256Bytes>, IEquatable<UInt256Bytes>
{
    private readonly byte[] _bytes = bytes;

    /// <summary>The bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Bitwise XOR.</summary>
    public UInt256Bytes Xor(UInt256Bytes other)
    {
        var result = new byte[32];
        for (var i = 0; i < 32; i++)
        {
            result[i] = (byte)(_bytes[i] ^ other._bytes[i]);
        }

        return new UInt256Bytes(result);
    }

    /// <summary>Number of leading zero bits.</summary>
    public int LeadingZeroBits()
    {
        for (var i = 0; i < 32; i++)
        {
            if (_bytes[i] != 0)
            {
                return i * 8 + BitOperations.LeadingZeroCount((uint)_bytes[i]) - 24;
            }
        }

        return 256;
    }

    /// <inheritdoc />
    public int CompareTo(UInt256Bytes other) => _bytes.AsSpan().SequenceCompareTo(other._bytes);

    /// <inheritdoc />
    public bool Equals(UInt256Bytes other) => _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is UInt256Bytes other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);
}
