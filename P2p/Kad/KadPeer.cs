using Formation.P2p.Addressing;
using Formation.P2p.Identity;

namespace Formation.P2p.Kad;

/// <summary>A peer in a Kademlia message: its id and binary multiaddrs (without <c>/p2p</c>).</summary>
public sealed record KadPeer(PeerId Id, IReadOnlyList<Multiaddr> Addresses);
