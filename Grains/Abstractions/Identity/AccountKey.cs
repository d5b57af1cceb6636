namespace Formation.Identity;

/// <summary>One credential of an account: its certificate's serial (hex) and SHA-256 fingerprint, and whether it was revoked.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.account-key")]
public sealed record AccountKey(
    [property: Id(0)] string Serial,
    [property: Id(1)] string Fingerprint,
    [property: Id(2)] DateTimeOffset Created,
    [property: Id(3)] DateTimeOffset Expires,
    [property: Id(4)] DateTimeOffset? Revoked = null);
