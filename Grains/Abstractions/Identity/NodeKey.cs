namespace Formation.Identity;

/// <summary>
/// A node's certificate as the account registry knows it (each silo reports its own at start): the node, the serial
/// (hex) that <c>form node revoke</c> adds to the revoked set, its expiry, and when it was revoked.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.node-key")]
public sealed record NodeKey(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string Serial,
    [property: Id(2)] DateTimeOffset Expires,
    [property: Id(3)] DateTimeOffset? Revoked = null);
