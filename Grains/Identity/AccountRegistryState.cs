using Formation.Identity;

namespace Formation.Grains.Identity;

/// <summary>What the account registry persists: the accounts and every serial ever revoked (kept after an account is deleted).</summary>
[GenerateSerializer]
[Alias("formation.account-registry-state")]
public sealed class AccountRegistryState
{
    [Id(0)] public Dictionary<string, AccountRecord> Accounts { get; set; } = [];

    [Id(1)] public Dictionary<string, DateTimeOffset> Revoked { get; set; } = [];

    /// <summary>Raised on every change, so silos polling with their known version fetch only changes.</summary>
    [Id(2)] public long Version { get; set; }

    /// <summary>The node certificates silos reported, by serial (a node that rejoins gets a new one).</summary>
    [Id(3)] public Dictionary<string, NodeKey> NodeKeys { get; set; } = [];
}

/// <summary>One account in <see cref="AccountRegistryState"/>.</summary>
[GenerateSerializer]
[Alias("formation.account-record")]
public sealed class AccountRecord
{
    [Id(0)] public string Name { get; set; } = "";

    [Id(1)] public bool IsAdmin { get; set; }

    [Id(2)] public DateTimeOffset Created { get; set; }

    [Id(3)] public List<AccountKey> Keys { get; set; } = [];

    public AccountInfo ToInfo() => new(Name, IsAdmin, Created, [.. Keys]);
}
