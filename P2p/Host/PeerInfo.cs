using Formation.P2p.Addressing;
using Formation.P2p.Identity;

namespace Formation.P2p.Host;

/// <summary>What this node knows about a peer (from identify, the DHT, mDNS or a dial).</summary>
public sealed record PeerInfo(
    PeerId Id,
    IReadOnlyList<Multiaddr> Addresses,
    IReadOnlyList<string> Protocols,
    string? AgentVersion,
    DateTimeOffset LastSeen,
    TimeSpan? Latency)
{
    /// <summary>True if the peer said (in identify) that it speaks <paramref name="protocol"/>.</summary>
    public bool Supports(string protocol) => Protocols.Contains(protocol);
}
