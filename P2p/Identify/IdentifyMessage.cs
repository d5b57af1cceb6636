using Formation.P2p.Addressing;
using Formation.P2p.Encoding;

namespace Formation.P2p.Identify;

/// <summary>The identify protobuf (identify/README.md). Invalid addresses from the peer are skipped, not fatal.</summary>
public sealed record IdentifyMessage(
    byte[]? PublicKey,
    IReadOnlyList<Multiaddr> ListenAddresses,
    IReadOnlyList<string> Protocols,
    Multiaddr? ObservedAddress,
    string? ProtocolVersion,
    string? AgentVersion)
{
    /// <summary>js-libp2p's cap on one identify message, and this node's.</summary>
    public const int MaxLength = 8192;

    private const int MaxAddresses = 32;
    private const int MaxProtocols = 128;

    /// <summary>Encodes the message.</summary>
    public byte[] Encode()
    {
        var writer = new ProtoWriter();
        if (PublicKey is not null)
        {
            writer.WriteBytes(1, PublicKey);
        }

        foreach (var address in ListenAddresses)
        {
            writer.WriteBytes(2, address.Bytes);
        }

        foreach (var protocol in Protocols)
        {
            writer.WriteString(3, protocol);
        }

        if (ObservedAddress is not null)
        {
            writer.WriteBytes(4, ObservedAddress.Bytes);
        }

        if (ProtocolVersion is not null)
        {
            writer.WriteString(5, ProtocolVersion);
        }

        if (AgentVersion is not null)
        {
            writer.WriteString(6, AgentVersion);
        }

        return writer.ToArray();
    }

    /// <summary>Decodes one message.</summary>
    public static IdentifyMessage Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        byte[]? publicKey = null;
        var addresses = new List<Multiaddr>();
        var protocols = new List<string>();
        Multiaddr? observed = null;
        string? protocolVersion = null, agent = null;
        while (reader.TryReadTag(out var field))
        {
            switch (field)
            {
                case 1:
                    publicKey = reader.ReadBytes().ToArray();
                    break;
                case 2:
                    if (Multiaddr.TryFromBytes(reader.ReadBytes(), out var address, out _) && addresses.Count < MaxAddresses)
                    {
                        addresses.Add(address);
                    }

                    break;
                case 3:
                    var protocol = reader.ReadString();
                    if (protocols.Count < MaxProtocols)
                    {
                        protocols.Add(protocol);
                    }

                    break;
                case 4:
                    observed = Multiaddr.TryFromBytes(reader.ReadBytes(), out var o, out _) ? o : null;
                    break;
                case 5:
                    protocolVersion = reader.ReadString();
                    break;
                case 6:
                    agent = reader.ReadString();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new IdentifyMessage(publicKey, addresses, protocols, observed, protocolVersion, agent);
    }

    /// <summary>Fields present in <paramref name="next"/> replace those of this message (js sends one, may send more).</summary>
    public IdentifyMessage Merge(IdentifyMessage next) => new(
        next.PublicKey ?? PublicKey,
        next.ListenAddresses.Count > 0 ? next.ListenAddresses : ListenAddresses,
        next.Protocols.Count > 0 ? next.Protocols : Protocols,
        next.ObservedAddress ?? ObservedAddress,
        next.ProtocolVersion ?? ProtocolVersion,
        next.AgentVersion ?? AgentVersion);
}
