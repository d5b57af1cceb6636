using System.Security.Cryptography;
using Formation.P2p.Encoding;

namespace Formation.P2p.Identity;

/// <summary>
/// A libp2p PeerId: the multihash of a PublicKey protobuf (identity multihash when the protobuf is at most 42 bytes,
/// as for Ed25519; sha2-256 otherwise). Text form base58btc (<c>12D3KooW…</c>); CIDv1 (<c>b…</c>) is also parsed.
/// </summary>
public sealed class PeerId : IEquatable<PeerId>
{
    private const int MaxBytes = 128;
    private readonly byte[] _bytes;
    private readonly int _hash;
    private string? _text;

    private PeerId(byte[] bytes)
    {
        _bytes = bytes;
        var h = new HashCode();
        h.AddBytes(bytes);
        _hash = h.ToHashCode();
    }

    /// <summary>The multihash bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The multihash bytes as a new array.</summary>
    public byte[] ToBytes() => (byte[])_bytes.Clone();

    /// <summary>The PeerId of a PublicKey protobuf.</summary>
    public static PeerId FromPublicKeyProto(ReadOnlySpan<byte> proto)
    {
        if (proto.Length <= 42)
        {
            var bytes = new byte[2 + proto.Length];
            bytes[0] = 0x00;
            bytes[1] = (byte)proto.Length;
            proto.CopyTo(bytes.AsSpan(2));
            return new PeerId(bytes);
        }

        return new PeerId([0x12, 0x20, .. SHA256.HashData(proto)]);
    }

    /// <summary>Reads PeerId bytes from the wire: a well-formed identity or sha2-256 multihash.</summary>
    public static PeerId FromBytes(ReadOnlySpan<byte> bytes) =>
        TryFromBytes(bytes, out var id) ? id : throw new P2pProtocolException("not a PeerId multihash (identity or sha2-256)");

    /// <summary>Reads PeerId bytes; false unless they are a well-formed identity or sha2-256 multihash.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out PeerId id)
    {
        id = null!;
        if (bytes.Length < 2 || bytes.Length > MaxBytes)
        {
            return false;
        }

        var ok = bytes[0] switch
        {
            0x00 => bytes[1] == bytes.Length - 2 && bytes[1] <= 42 && bytes[1] > 0,
            0x12 => bytes[1] == 0x20 && bytes.Length == 34,
            _ => false,
        };
        if (ok)
        {
            id = new PeerId(bytes.ToArray());
        }

        return ok;
    }

    /// <summary>Parses the base58btc (<c>12D3KooW…</c>, <c>Qm…</c>) or CIDv1 base32 (<c>b…</c>, codec libp2p-key) form.</summary>
    public static PeerId Parse(string text) =>
        TryParse(text, out var id) ? id : throw new FormatException($"'{text}' is not a PeerId (expected base58btc such as 12D3KooW… or a CIDv1 b…)");

    /// <summary>Parses a PeerId's text form; false if it is not one.</summary>
    public static bool TryParse(string? text, out PeerId id)
    {
        id = null!;
        if (string.IsNullOrEmpty(text) || text.Length > 200)
        {
            return false;
        }

        if (text[0] == 'b')
        {
            // CIDv1: multibase 'b' (base32) || varint version 1 || varint codec 0x72 (libp2p-key) || multihash
            if (!Base32.TryDecode(text.AsSpan(1), out var cid) || cid.Length < 3 || cid[0] != 1 || cid[1] != 0x72)
            {
                return false;
            }

            return TryFromBytes(cid.AsSpan(2), out id);
        }

        return Base58.TryDecode(text, out var bytes) && TryFromBytes(bytes, out id);
    }

    /// <summary>The raw Ed25519 public key inlined in an identity-multihash PeerId, or null.</summary>
    public byte[]? TryGetEd25519PublicKey()
    {
        if (_bytes[0] != 0x00)
        {
            return null;
        }

        try
        {
            return PublicKeyProto.DecodeEd25519(_bytes.AsSpan(2));
        }
        catch (P2pProtocolException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public override string ToString() => _text ??= Base58.Encode(_bytes);

    /// <inheritdoc />
    public bool Equals(PeerId? other) => other is not null && _hash == other._hash && _bytes.AsSpan().SequenceEqual(other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as PeerId);

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <summary>Value equality.</summary>
    public static bool operator ==(PeerId? a, PeerId? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(PeerId? a, PeerId? b) => !(a == b);
}
