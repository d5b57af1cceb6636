using Formation.P2p.Encoding;
using Formation.P2p.Identity;

namespace Formation.P2p.Records;

/// <summary>
/// A libp2p signed envelope (RFC 0002): <c>public_key = 1, payload_type = 2, payload = 3, signature = 5</c>; the
/// signature covers <c>uvarint(len) || domain || uvarint(len) || payload_type || uvarint(len) || payload</c>.
/// </summary>
public sealed record SignedEnvelope(byte[] PublicKey, byte[] PayloadType, byte[] Payload, byte[] Signature)
{
    /// <summary>Signs <paramref name="payload"/> with <paramref name="identity"/> for <paramref name="domain"/>.</summary>
    public static SignedEnvelope Seal(Ed25519KeyPair identity, string domain, byte[] payloadType, byte[] payload) =>
        new(identity.PublicKeyProto, payloadType, payload, identity.Sign(SigningInput(domain, payloadType, payload)));

    /// <summary>The signer's PeerId.</summary>
    public PeerId Signer => PeerId.FromPublicKeyProto(PublicKey);

    /// <summary>Encodes the envelope.</summary>
    public byte[] Encode() =>
        new ProtoWriter().WriteBytes(1, PublicKey).WriteBytes(2, PayloadType).WriteBytes(3, Payload).WriteBytes(5, Signature).ToArray();

    /// <summary>Decodes an envelope (signature not yet checked).</summary>
    public static SignedEnvelope Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        byte[] key = [], type = [], payload = [], signature = [];
        while (reader.TryReadTag(out var field))
        {
            switch (field)
            {
                case 1:
                    key = reader.ReadBytes().ToArray();
                    break;
                case 2:
                    type = reader.ReadBytes().ToArray();
                    break;
                case 3:
                    payload = reader.ReadBytes().ToArray();
                    break;
                case 5:
                    signature = reader.ReadBytes().ToArray();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new SignedEnvelope(key, type, payload, signature);
    }

    /// <summary>True if the signature is valid for <paramref name="domain"/> (Ed25519 keys only).</summary>
    public bool Verify(string domain)
    {
        try
        {
            return Ed25519.Verify(PublicKeyProto.DecodeEd25519(PublicKey), SigningInput(domain, PayloadType, Payload), Signature);
        }
        catch (P2pProtocolException)
        {
            return false;
        }
    }

    private static byte[] SigningInput(string domain, byte[] payloadType, byte[] payload)
    {
        var d = System.Text.Encoding.UTF8.GetBytes(domain);
        return [.. Varint.Encode((ulong)d.Length), .. d, .. Varint.Encode((ulong)payloadType.Length), .. payloadType, .. Varint.Encode((ulong)payload.Length), .. payload];
    }
}
