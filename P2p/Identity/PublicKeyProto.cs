using Formation.P2p.Encoding;

namespace Formation.P2p.Identity;

/// <summary>
/// The libp2p key protobufs (peer-ids spec): <c>PublicKey { KeyType Type = 1; bytes Data = 2; }</c>, same shape for
/// PrivateKey. Only Ed25519 (type 1) is supported: it is js-libp2p's default and Formation's only identity type.
/// </summary>
public static class PublicKeyProto
{
    /// <summary>KeyType.Ed25519.</summary>
    public const int Ed25519Type = 1;

    /// <summary>Encodes a raw 32-byte Ed25519 public key: <c>08 01 12 20 &lt;key&gt;</c>.</summary>
    public static byte[] EncodeEd25519(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != 32)
        {
            throw new ArgumentException("an Ed25519 public key is 32 bytes", nameof(publicKey));
        }

        return new ProtoWriter().WriteVarint(1, Ed25519Type).WriteBytes(2, publicKey).ToArray();
    }

    /// <summary>Decodes a PublicKey protobuf and returns the raw Ed25519 key; throws for another type or a bad size.</summary>
    public static byte[] DecodeEd25519(ReadOnlySpan<byte> proto)
    {
        var (type, data) = Decode(proto);
        if (type != Ed25519Type)
        {
            throw new P2pProtocolException($"unsupported libp2p key type {type} (only Ed25519 identities are accepted)");
        }

        if (data.Length != 32)
        {
            throw new P2pProtocolException($"an Ed25519 public key is 32 bytes, got {data.Length}");
        }

        return data;
    }

    /// <summary>Decodes the (type, data) pair of a PublicKey or PrivateKey protobuf.</summary>
    public static (int Type, byte[] Data) Decode(ReadOnlySpan<byte> proto)
    {
        var reader = new ProtoReader(proto);
        int? type = null;
        byte[]? data = null;
        while (reader.TryReadTag(out var field))
        {
            switch (field)
            {
                case 1:
                    type = (int)Math.Min(reader.ReadVarint(), int.MaxValue);
                    break;
                case 2:
                    data = reader.ReadBytes().ToArray();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (type is null || data is null)
        {
            throw new P2pProtocolException("key protobuf lacks its Type or Data field");
        }

        return (type.Value, data);
    }
}
