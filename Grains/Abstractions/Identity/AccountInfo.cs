namespace Formation.Identity;

/// <summary>An account as <c>form account list|show</c> shows it.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.account-info")]
public sealed record AccountInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] bool IsAdmin,
    [property: Id(2)] DateTimeOffset Created,
    [property: Id(3)] IReadOnlyList<AccountKey> Keys);
