namespace Formation.Discovery;

/// <summary>
/// One libp2p peer as one silo's discovery sees it (<c>form peer list</c>): who it is, where it listens, which node it
/// says it is (from its signed node record), and when it was last heard from.
/// </summary>
/// <param name="SeenBy">The node whose silo knows this peer.</param>
/// <param name="PeerId">The peer's libp2p id (<c>12D3KooW…</c>).</param>
/// <param name="Addresses">Its multiaddrs, as identify, the DHT, mDNS or its record gave them.</param>
/// <param name="NodeId">The node id of its signed record; empty when it sent none (for example a plain libp2p peer).</param>
/// <param name="LastSeen">When a connection, identify or lookup last involved it.</param>
/// <param name="LatencyMs">Last ping round trip, if measured.</param>
/// <param name="Protocols">What it said it speaks in identify.</param>
/// <param name="RecordSequence">Sequence number of its accepted record, if any.</param>
/// <param name="RecordReceivedAt">When that record arrived (its age).</param>
/// <param name="Connected">Whether a connection is open now.</param>
/// <param name="Agent">Its identify agent version.</param>
[GenerateSerializer, Immutable]
[Alias("formation.peer-row")]
public sealed record PeerRow(
    [property: Id(0)] string SeenBy,
    [property: Id(1)] string PeerId,
    [property: Id(2)] IReadOnlyList<string> Addresses,
    [property: Id(3)] string NodeId,
    [property: Id(4)] DateTimeOffset LastSeen,
    [property: Id(5)] double? LatencyMs,
    [property: Id(6)] IReadOnlyList<string> Protocols,
    [property: Id(7)] ulong? RecordSequence,
    [property: Id(8)] DateTimeOffset? RecordReceivedAt,
    [property: Id(9)] bool Connected,
    [property: Id(10)] string Agent);
