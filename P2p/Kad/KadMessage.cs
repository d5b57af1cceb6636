using Formation.P2p.Addressing;
using Formation.P2p.Encoding;
using Formation.P2p.Identity;

namespace Formation.P2p.Kad;

/// <summary>
/// The Kademlia protobuf: <c>type = 1, key = 2, record = 3, closerPeers = 8, providerPeers = 9, clusterLevelRaw = 10</c>.
/// js encodes proto3 style (type 0 = PUT_VALUE is omitted), so a missing type reads as 0. Peers with unreadable ids
/// are dropped; at most <see cref="MaxPeers"/> peers and <see cref="MaxAddressesPerPeer"/> addresses each are kept.
/// </summary>
public sealed record KadMessage(KadMessageType Type, byte[]? Key, KadRecord? Record, IReadOnlyList<KadPeer> CloserPeers, IReadOnlyList<KadPeer> ProviderPeers)
{
    /// <summary>Peers kept per list.</summary>
    public const int MaxPeers = 64;

    /// <summary>Addresses kept per peer.</summary>
    public const int MaxAddressesPerPeer = 16;

    /// <summary>A request with only a type and a key.</summary>
    public static KadMessage Request(KadMessageType type, byte[] key) => new(type, key, null, [], []);

    /// <summary>Encodes the message.</summary>
    public byte[] Encode()
    {
        var writer = new ProtoWriter();
        if (Type != KadMessageType.PutValue)
        {
            writer.WriteVarint(1, (ulong)Type);
        }

        if (Key is not null)
        {
            writer.WriteBytes(2, Key);
        }

        if (Record is not null)
        {
            var record = new ProtoWriter().WriteBytes(1, Record.Key).WriteBytes(2, Record.Value);
            if (Record.TimeReceived is not null)
            {
                record.WriteString(5, Record.TimeReceived);
            }

            writer.WriteMessage(3, record);
        }

        WritePeers(writer, 8, CloserPeers);
        WritePeers(writer, 9, ProviderPeers);
        return writer.ToArray();
    }

    /// <summary>Decodes a message from an untrusted peer.</summary>
    public static KadMessage Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        var type = KadMessageType.PutValue;
        byte[]? key = null;
        KadRecord? record = null;
        var closer = new List<KadPeer>();
        var providers = new List<KadPeer>();
        while (reader.TryReadTag(out var field))
        {
            switch (field)
            {
                case 1:
                    var raw = reader.ReadVarint();
                    type = raw <= (ulong)KadMessageType.Ping ? (KadMessageType)raw : throw new P2pProtocolException($"unknown kad message type {raw}");
                    break;
                case 2:
                    key = reader.ReadBytes().ToArray();
                    break;
                case 3:
                    record = ReadRecord(reader.ReadBytes());
                    break;
                case 8:
                    AddPeer(closer, reader.ReadBytes());
                    break;
                case 9:
                    AddPeer(providers, reader.ReadBytes());
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new KadMessage(type, key, record, closer, providers);
    }

    private static void WritePeers(ProtoWriter writer, int field, IReadOnlyList<KadPeer> peers)
    {
        foreach (var peer in peers)
        {
            var p = new ProtoWriter().WriteBytes(1, peer.Id.Bytes);
            foreach (var address in peer.Addresses)
            {
                p.WriteBytes(2, address.Bytes);
            }

            writer.WriteMessage(field, p);
        }
    }

    private static KadRecord ReadRecord(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        byte[] key = [], value = [];
        string? time = null;
        while (reader.TryReadTag(out var field))
        {
            switch (field)
            {
                case 1:
                    key = reader.ReadBytes().ToArray();
                    break;
                case 2:
                    value = reader.ReadBytes().ToArray();
                    break;
                case 5:
                    time = reader.ReadString();
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new KadRecord(key, value, time);
    }

    private static void AddPeer(List<KadPeer> peers, ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        PeerId? id = null;
        var addresses = new List<Multiaddr>();
        while (reader.TryReadTag(out var field))
        {
            switch (field)
            {
                case 1:
                    id = PeerId.TryFromBytes(reader.ReadBytes(), out var parsed) ? parsed : null;
                    break;
                case 2:
                    if (Multiaddr.TryFromBytes(reader.ReadBytes(), out var address, out _) && addresses.Count < MaxAddressesPerPeer)
                    {
                        addresses.Add(address.WithoutPeerId());
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (id is not null && peers.Count < MaxPeers)
        {
            peers.Add(new KadPeer(id, addresses));
        }
    }
}
