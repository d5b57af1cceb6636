namespace Formation.Silo.Network;

/// <summary>A peer as the interface has it (<c>wg show dump</c>): endpoint, routed CIDRs and last handshake.</summary>
public sealed record WireGuardPeerState(string PublicKey, string? Endpoint, IReadOnlyList<string> AllowedIps, DateTimeOffset? LastHandshake);
