using Formation.P2p.Addressing;
using Formation.P2p.Identity;

namespace Formation.P2p.Host;

/// <summary>
/// Addresses, protocols and latency of known peers. Bounded: at most <c>maxPeers</c> peers (the least recently seen
/// goes first) and <see cref="MaxAddressesPerPeer"/> addresses and <see cref="MaxProtocolsPerPeer"/> protocols each.
/// </summary>
public sealed class PeerStore(int maxPeers)
{
    /// <summary>Addresses kept per peer.</summary>
    public const int MaxAddressesPerPeer = 16;

    /// <summary>Protocols kept per peer.</summary>
    public const int MaxProtocolsPerPeer = 64;

    private readonly Lock _lock = new();
    private readonly Dictionary<PeerId, PeerInfo> _peers = [];

    /// <summary>Everything known, newest first.</summary>
    public IReadOnlyList<PeerInfo> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _peers.Values.OrderByDescending(p => p.LastSeen)];
            }
        }
    }

    /// <summary>What is known about <paramref name="peer"/>, or null.</summary>
    public PeerInfo? Get(PeerId peer)
    {
        lock (_lock)
        {
            return _peers.GetValueOrDefault(peer);
        }
    }

    /// <summary>Adds addresses (without <c>/p2p</c>) for a peer; new ones go first.</summary>
    public void AddAddresses(PeerId peer, IEnumerable<Multiaddr> addresses) =>
        Update(peer, p => p with { Addresses = [.. addresses.Select(a => a.WithoutPeerId()).Concat(p.Addresses).Distinct().Take(MaxAddressesPerPeer)] });

    /// <summary>Replaces a peer's identify facts (listen addresses, protocols, agent).</summary>
    public void SetIdentified(PeerId peer, IEnumerable<Multiaddr> addresses, IEnumerable<string> protocols, string? agent) =>
        Update(peer, p => p with
        {
            Addresses = [.. addresses.Select(a => a.WithoutPeerId()).Concat(p.Addresses).Distinct().Take(MaxAddressesPerPeer)],
            Protocols = [.. protocols.Distinct().Take(MaxProtocolsPerPeer)],
            AgentVersion = agent is { Length: > 256 } ? agent[..256] : agent,
        });

    /// <summary>Records a measured round trip.</summary>
    public void SetLatency(PeerId peer, TimeSpan latency) => Update(peer, p => p with { Latency = latency });

    private void Update(PeerId peer, Func<PeerInfo, PeerInfo> change)
    {
        lock (_lock)
        {
            var current = _peers.GetValueOrDefault(peer) ?? new PeerInfo(peer, [], [], null, DateTimeOffset.UtcNow, null);
            _peers[peer] = change(current) with { LastSeen = DateTimeOffset.UtcNow };
            if (_peers.Count > maxPeers)
            {
                var oldest = _peers.Values.MinBy(p => p.LastSeen)!;
                _peers.Remove(oldest.Id);
            }
        }
    }
}
