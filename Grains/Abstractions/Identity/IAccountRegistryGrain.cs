namespace Formation.Identity;

/// <summary>
/// The cluster's accounts (key <see cref="GrainKeys.Cluster"/>): names, admin flags and the credentials issued to each.
/// Admin-only except <see cref="WhoAmIAsync"/>, <see cref="GetAsync"/> of one's own account and <see cref="ViewAsync"/>
/// (the silos' own poll).
/// </summary>
[Alias("formation.account-registry")]
public interface IAccountRegistryGrain : IGrainWithStringKey
{
    /// <summary>Makes account <paramref name="name"/> and signs a certificate for the public key in <paramref name="csrPem"/>.</summary>
    [Alias("create")]
    [Mutating]
    Task<AccountCredentialIssued> CreateAsync(string name, bool isAdmin, string csrPem);

    /// <summary>Signs another certificate for an existing account (a new key for the same account).</summary>
    [Alias("add-key")]
    [Mutating]
    Task<AccountCredentialIssued> AddKeyAsync(string name, string csrPem);

    /// <summary>Every account.</summary>
    [Alias("list")]
    [NonMutating]
    Task<IReadOnlyList<AccountInfo>> ListAsync();

    /// <summary>One account (an admin may see any; a member only their own).</summary>
    [Alias("get")]
    [NonMutating]
    Task<AccountInfo> GetAsync(string name);

    /// <summary>
    /// Revokes every credential of the account and removes it; refused (Conflict, naming the counts per kind) while it
    /// still owns services, VMs, routes or snapshots (<see cref="AccountHoldings"/>).
    /// </summary>
    [Alias("delete")]
    [Mutating]
    Task<AccountInfo> DeleteAsync(string name);

    /// <summary>Revokes one credential of the account (by serial), or all of them; returns the serials revoked.</summary>
    [Alias("revoke")]
    [Mutating]
    Task<IReadOnlyList<string>> RevokeAsync(string name, string? serial);

    /// <summary>Records the certificate a node's silo runs with (the silo's own call at start, as the system; nobody else may).</summary>
    [Alias("record-node-key")]
    [Mutating]
    [NodeOnly]
    Task RecordNodeKeyAsync(NodeKey key);

    /// <summary>Revokes every certificate recorded for node <paramref name="nodeId"/> (admins); returns the serials revoked.</summary>
    [Alias("revoke-node")]
    [Mutating]
    Task<IReadOnlyList<string>> RevokeNodeAsync(string nodeId);

    /// <summary>The node certificates recorded, revoked ones included (for <c>form node list</c>).</summary>
    [Alias("node-keys")]
    [NonMutating]
    Task<IReadOnlyList<NodeKey>> ListNodeKeysAsync();

    /// <summary>The caller as the cluster sees it.</summary>
    [Alias("whoami")]
    [NonMutating]
    Task<Caller> WhoAmIAsync();

    /// <summary>The accounts and revoked serials, or null when the registry is still at <paramref name="knownVersion"/>.</summary>
    [Alias("view"), AlwaysInterleave]
    [NonMutating]
    [NodeOnly]
    Task<AccountsView?> ViewAsync(long knownVersion);
}
