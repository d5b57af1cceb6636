using Formation.P2p.Encoding;

namespace Formation.P2p.Noise;

/// <summary>
/// The libp2p Noise handshake payload: <c>identity_key = 1</c> (PublicKey protobuf), <c>identity_sig = 2</c>,
/// <c>extensions = 4 { repeated string stream_muxers = 2; }</c>.
/// </summary>
internal sealed record NoiseHandshakePayload(byte[] IdentityKey, byte[] IdentitySignature, IReadOnlyList<string> StreamMuxers)
{
    private const int MaxMuxers = 16;

    public byte[] Encode()
    {
        var writer = new ProtoWriter().WriteBytes(1, IdentityKey).WriteBytes(2, IdentitySignature);
        if (StreamMuxers.Count > 0)
        {
            var extensions = new ProtoWriter();
            foreach (var muxer in StreamMuxers)
            {
                extensions.WriteString(2, muxer);
            }

            writer.WriteMessage(4, extensions);
        }

        return writer.ToArray();
    }

    public static NoiseHandshakePayload Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        byte[]? key = null, signature = null;
        var muxers = new List<string>();
        while (reader.TryReadTag(out var field))
        {
            switch (field)
            {
                case 1:
                    key = reader.ReadBytes().ToArray();
                    break;
                case 2:
                    signature = reader.ReadBytes().ToArray();
                    break;
                case 4:
                    var extensions = new ProtoReader(reader.ReadBytes());
                    while (extensions.TryReadTag(out var extensionField))
                    {
                        if (extensionField == 2 && muxers.Count < MaxMuxers)
                        {
                            muxers.Add(extensions.ReadString());
                        }
                        else
                        {
                            extensions.Skip();
                        }
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (key is null || signature is null)
        {
            throw new P2pProtocolException("noise handshake payload lacks identity_key or identity_sig");
        }

        return new NoiseHandshakePayload(key, signature, muxers);
    }
}
