using Formation.P2p.Identity;

namespace Formation.P2p.Kad;

/// <summary>A routing table entry.</summary>
public sealed record RoutingEntry(PeerId Id, KadKey Key, DateTimeOffset LastSeen);
