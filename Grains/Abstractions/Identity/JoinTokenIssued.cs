namespace Formation.Identity;

/// <summary>A join token as made: shown once, never stored in clear.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.join-token-issued")]
public sealed record JoinTokenIssued(
    [property: Id(0)] string Token,
    [property: Id(1)] DateTimeOffset ExpiresAt,
    [property: Id(2)] string JoinEndpoint,
    [property: Id(3)] string CaFingerprint);
