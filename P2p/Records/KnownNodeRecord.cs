namespace Formation.P2p.Records;

/// <summary>An accepted node record, its signed envelope, and when it arrived (for its age).</summary>
public sealed record KnownNodeRecord(NodeRecord Record, byte[] Envelope, DateTimeOffset ReceivedAt);
