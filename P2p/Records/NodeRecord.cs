using Formation.P2p.Addressing;
using Formation.P2p.Encoding;
using Formation.P2p.Identity;

namespace Formation.P2p.Records;

/// <summary>
/// What a Formation node tells the cluster about itself. Protobuf: <c>seq = 1</c> (first, so js selectors can read
/// it), <c>peer_id = 2, cluster_id = 3, node_id = 4, multiaddrs = 5, silo_endpoints = 6, gateway_endpoints = 7,
/// wireguard_public_key = 8, wireguard_endpoints = 9, capacity = 10 { vcpus = 1, memory_mib = 2, disk_gib = 3 },
/// issued_at_unix_ms = 11</c>. It travels inside a <see cref="SignedEnvelope"/> signed by the node's identity.
/// </summary>
public sealed record NodeRecord(
    ulong Sequence,
    PeerId PeerId,
    string ClusterId,
    string NodeId,
    IReadOnlyList<Multiaddr> Multiaddrs,
    IReadOnlyList<string> SiloEndpoints,
    IReadOnlyList<string> GatewayEndpoints,
    byte[]? WireGuardPublicKey,
    IReadOnlyList<string> WireGuardEndpoints,
    NodeCapacity? Capacity,
    DateTimeOffset IssuedAt)
{
    /// <summary>The envelope's signature domain.</summary>
    public const string Domain = "formation-node-record";

    /// <summary>The envelope's payload type.</summary>
    public static readonly byte[] PayloadType = "/formation/node-record/1"u8.ToArray();

    private const int MaxListItems = 32;

    /// <summary>Encodes the record (the envelope payload).</summary>
    public byte[] Encode()
    {
        var writer = new ProtoWriter().WriteVarint(1, Sequence).WriteBytes(2, PeerId.Bytes).WriteString(3, ClusterId).WriteString(4, NodeId);
        foreach (var a in Multiaddrs)
        {
            writer.WriteBytes(5, a.Bytes);
        }

        foreach (var e in SiloEndpoints)
        {
            writer.WriteString(6, e);
        }

        foreach (var e in GatewayEndpoints)
        {
            writer.WriteString(7, e);
        }

        if (WireGuardPublicKey is not null)
        {
            writer.WriteBytes(8, WireGuardPublicKey);
        }

        foreach (var e in WireGuardEndpoints)
        {
            writer.WriteString(9, e);
        }

        if (Capacity is not null)
        {
            writer.WriteMessage(10, new ProtoWriter().WriteVarint(1, (ulong)Capacity.VCpus).WriteVarint(2, (ulong)Capacity.MemoryMiB).WriteVarint(3, (ulong)Capacity.DiskGiB));
        }

        return writer.WriteVarint(11, (ulong)IssuedAt.ToUnixTimeMilliseconds()).ToArray();
    }

    /// <summary>Decodes a record payload from an untrusted peer.</summary>
    public static NodeRecord Decode(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        ulong seq = 0, issued = 0;
        PeerId? peer = null;
        string cluster = "", node = "";
        var addrs = new List<Multiaddr>();
        List<string> silo = [], gateway = [], wg = [];
        byte[]? wgKey = null;
        NodeCapacity? capacity = null;
        while (reader.TryReadTag(out var field))
        {
            switch (field)
            {
                case 1: seq = reader.ReadVarint(); break;
                case 2: peer = PeerId.FromBytes(reader.ReadBytes()); break;
                case 3: cluster = reader.ReadString(); break;
                case 4: node = reader.ReadString(); break;
                case 5:
                    if (Multiaddr.TryFromBytes(reader.ReadBytes(), out var a, out _) && addrs.Count < MaxListItems)
                    {
                        addrs.Add(a);
                    }

                    break;
                case 6: AddBounded(silo, reader.ReadString()); break;
                case 7: AddBounded(gateway, reader.ReadString()); break;
                case 8: wgKey = reader.ReadBytes().ToArray(); break;
                case 9: AddBounded(wg, reader.ReadString()); break;
                case 10: capacity = ReadCapacity(reader.ReadBytes()); break;
                case 11: issued = reader.ReadVarint(); break;
                default: reader.Skip(); break;
            }
        }

        if (peer is null || cluster.Length == 0)
        {
            throw new P2pProtocolException("node record without a peer id or a cluster id");
        }

        return new NodeRecord(seq, peer, cluster, node, addrs, silo, gateway, wgKey, wg, capacity,
            DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Min(issued, 253402300799999UL)));
    }

    /// <summary>Signs the record into an envelope (the identity must be the record's peer).</summary>
    public SignedEnvelope Seal(Ed25519KeyPair identity)
    {
        if (identity.PeerId != PeerId)
        {
            throw new ArgumentException("a node record is signed by its own peer", nameof(identity));
        }

        return SignedEnvelope.Seal(identity, Domain, PayloadType, Encode());
    }

    private static void AddBounded(List<string> list, string value)
    {
        if (list.Count < MaxListItems && value.Length <= 256)
        {
            list.Add(value);
        }
    }

    private static NodeCapacity ReadCapacity(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoReader(data);
        ulong cpus = 0, memory = 0, disk = 0;
        while (reader.TryReadTag(out var field))
        {
            switch (field)
            {
                case 1: cpus = reader.ReadVarint(); break;
                case 2: memory = reader.ReadVarint(); break;
                case 3: disk = reader.ReadVarint(); break;
                default: reader.Skip(); break;
            }
        }

        return new NodeCapacity((int)Math.Min(cpus, int.MaxValue), (long)Math.Min(memory, long.MaxValue), (long)Math.Min(disk, long.MaxValue));
    }
}
