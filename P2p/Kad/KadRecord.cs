namespace Formation.P2p.Kad;

/// <summary>A DHT record: key, value, and the RFC 3339 time it was received (set by the storing node).</summary>
public sealed record KadRecord(byte[] Key, byte[] Value, string? TimeReceived);
