using System.Security.Cryptography;
using Formation.P2p.Identity;

namespace Formation.P2p.Kad;

/// <summary>A point in the Kademlia keyspace: sha256 of a key (for peers, of the PeerId bytes).</summary>
public readonly record struct KadKey(UInt256Bytes Hash)
{
    /// <summary>The keyspace point of arbitrary key bytes.</summary>
    public static KadKey Of(ReadOnlySpan<byte> key) => new(new UInt256Bytes(SHA256.HashData(key)));

    /// <summary>The keyspace point of a peer.</summary>
    public static KadKey Of(PeerId peer) => Of(peer.Bytes);

    /// <summary>XOR distance, compared as a 256-bit big-endian number.</summary>
    public UInt256Bytes DistanceTo(KadKey other) => Hash.Xor(other.Hash);

    /// <summary>Leading bits shared with <paramref name="other"/> (256 when equal).</summary>
    public int CommonPrefixLength(KadKey other) => DistanceTo(other).LeadingZeroBits();
}
