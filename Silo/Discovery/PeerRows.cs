using Formation.Discovery;
using Formation.P2p.Host;
using Formation.P2p.Records;

namespace Formation.Silo.Discovery;

/// <summary>Builds <c>form peer list</c> rows from the peer store and the record book.</summary>
internal static class PeerRows
{
    public static IReadOnlyList<PeerRow> Build(string seenBy, P2pHost host, NodeRecordBook book)
    {
        var rows = new Dictionary<string, PeerRow>(StringComparer.Ordinal);
        foreach (var peer in host.Peers.All.Where(p => p.Id != host.PeerId))
        {
            var known = book.Get(peer.Id);
            var addresses = peer.Addresses.Concat(known?.Record.Multiaddrs ?? []).Select(a => a.ToString()).Distinct().ToList();
            rows[peer.Id.ToString()] = new PeerRow(seenBy, peer.Id.ToString(), addresses, known?.Record.NodeId ?? "", peer.LastSeen,
                peer.Latency?.TotalMilliseconds, peer.Protocols, known?.Record.Sequence, known?.ReceivedAt,
                host.ConnectionsTo(peer.Id).Count > 0, peer.AgentVersion ?? "");
        }

        // Members learnt from the DHT only (never connected): their record is all there is.
        foreach (var known in book.All.Where(k => k.Record.PeerId != host.PeerId && !rows.ContainsKey(k.Record.PeerId.ToString())))
        {
            var r = known.Record;
            rows[r.PeerId.ToString()] = new PeerRow(seenBy, r.PeerId.ToString(), [.. r.Multiaddrs.Select(a => a.ToString())], r.NodeId,
                known.ReceivedAt, null, [], r.Sequence, known.ReceivedAt, false, "");
        }

        return [.. rows.Values.OrderBy(r => r.NodeId.Length == 0).ThenBy(r => r.NodeId, StringComparer.Ordinal).ThenBy(r => r.PeerId, StringComparer.Ordinal)];
    }
}
