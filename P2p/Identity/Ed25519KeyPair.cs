using System.Security.Cryptography;
using Formation.P2p.Encoding;

namespace Formation.P2p.Identity;

/// <summary>A node's libp2p identity: an Ed25519 key pair whose public key names the node (its <see cref="PeerId"/>).</summary>
public sealed class Ed25519KeyPair
{
    private readonly byte[] _seed;

    private Ed25519KeyPair(byte[] seed)
    {
        _seed = seed;
        PublicKey = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(_seed, 0, PublicKey, 0);
        PublicKeyProto = Identity.PublicKeyProto.EncodeEd25519(PublicKey);
        PeerId = PeerId.FromPublicKeyProto(PublicKeyProto);
    }

    /// <summary>The raw 32-byte public key.</summary>
    public byte[] PublicKey { get; }

    /// <summary>The public key as the libp2p PublicKey protobuf.</summary>
    public byte[] PublicKeyProto { get; }

    /// <summary>The PeerId derived from the public key.</summary>
    public PeerId PeerId { get; }

    /// <summary>A new random identity.</summary>
    public static Ed25519KeyPair Generate() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>The identity for a 32-byte seed (RFC 8032 private key).</summary>
    public static Ed25519KeyPair FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != 32)
        {
            throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        }

        return new Ed25519KeyPair(seed.ToArray());
    }

    /// <summary>
    /// Reads a libp2p PrivateKey protobuf (type Ed25519, data = seed(32) || public(32), or the seed alone) and checks
    /// that a stored public half matches the seed.
    /// </summary>
    public static Ed25519KeyPair FromPrivateKeyProto(ReadOnlySpan<byte> proto)
    {
        var (type, data) = Identity.PublicKeyProto.Decode(proto);
        if (type != Identity.PublicKeyProto.Ed25519Type || (data.Length != 64 && data.Length != 32))
        {
            throw new FormatException($"not an Ed25519 private key (type {type}, {data.Length} bytes); only Ed25519 identities are supported");
        }

        var key = new Ed25519KeyPair(data[..32]);
        if (data.Length == 64 && !data.AsSpan(32).SequenceEqual(key.PublicKey))
        {
            throw new FormatException("the private key's public half does not match its seed");
        }

        return key;
    }

    /// <summary>The libp2p PrivateKey protobuf: type Ed25519, data = seed || public key (js-libp2p's layout).</summary>
    public byte[] ToPrivateKeyProto() =>
        new ProtoWriter().WriteVarint(1, Identity.PublicKeyProto.Ed25519Type).WriteBytes(2, [.. _seed, .. PublicKey]).ToArray();

    /// <summary>Signs <paramref name="message"/> (RFC 8032, 64-byte signature).</summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signature = new byte[64];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Sign(_seed, 0, message.ToArray(), 0, message.Length, signature, 0);
        return signature;
    }
}
