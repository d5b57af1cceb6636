namespace Formation.Identity;

/// <summary>
/// What every silo's identity filter needs from the account registry: which accounts exist (and which are admins) and
/// which certificate serials are revoked. Silos poll it by <see cref="Version"/>, so an unchanged registry costs one
/// small call.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.accounts-view")]
public sealed record AccountsView(
    [property: Id(0)] long Version,
    [property: Id(1)] IReadOnlyDictionary<string, bool> Accounts,
    [property: Id(2)] IReadOnlyList<string> RevokedSerials);
