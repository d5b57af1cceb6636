namespace Formation.Silo.Network;

/// <summary>One WireGuard peer as the mesh wants it: key, endpoint (null for a roaming device) and routed CIDRs.</summary>
public sealed record MeshPeer(string Name, string PublicKey, string? Endpoint, IReadOnlyList<string> AllowedIps);
