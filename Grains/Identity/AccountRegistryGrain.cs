using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Formation.Errors;
using Formation.Grains.Common;
using Formation.Grains.Hosting;
using Formation.Identity;

namespace Formation.Grains.Identity;

/// <summary>
/// The cluster's accounts. The caller comes only from <see cref="CallerContext"/> (set by the silo's identity filter);
/// creating, deleting and revoking are for admins. Certificates are signed by the node holding the CA key
/// (<see cref="ICertificateSignerGrain"/>), asked as <see cref="Caller.System"/> so no client can reach the CA directly.
/// The <c>admin</c> account always exists and is always an admin: it is the cluster's first credential and root's.
/// </summary>
public sealed class AccountRegistryGrain(
    [PersistentState("accounts", StorageNames.Formation)] IPersistentState<AccountRegistryState> store,
    ICredentialSigner signer,
    TimeProvider clock) : Grain, IAccountRegistryGrain
{
    /// <summary>
    /// Names no account may take: the silo's own caller, and the DNS label of the nodes (an account's names are
    /// <c>&lt;name&gt;.&lt;account&gt;.fog</c>, so an account <c>node</c> would mix its names with <c>&lt;node&gt;.node.fog</c>).
    /// </summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal) { Caller.System.Account, AccountNames.Nodes };

    private AccountRegistryState S => store.State;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!S.Accounts.ContainsKey(Caller.AdminAccount))
        {
            S.Accounts[Caller.AdminAccount] = new AccountRecord { Name = Caller.AdminAccount, IsAdmin = true, Created = clock.GetUtcNow() };
            S.Version++;
            await store.WriteStateAsync(cancellationToken);
        }
    }

    public async Task<AccountCredentialIssued> CreateAsync(string name, bool isAdmin, string csrPem)
    {
        RequireAdmin("form account create");
        if (!Names.IsDnsLabel(name))
        {
            throw FormationException.Invalid(
                $"account name '{name}' is not valid: use lower-case letters, digits and '-' (at most 63), starting and ending with a letter or digit.");
        }

        if (Reserved.Contains(name))
        {
            throw FormationException.Invalid(
                $"account name '{name}' is reserved ({string.Join(", ", Reserved.Order(StringComparer.Ordinal).Select(r => $"'{r}'"))} have a meaning of their own: " +
                $"'{AccountNames.Nodes}' names the nodes in DNS, <node>.{AccountNames.Nodes}.fog); pick another name.");
        }

        if (S.Accounts.ContainsKey(name))
        {
            throw FormationException.Conflict($"an account named '{name}' exists already: pick another name, or `form account delete {name}` first.");
        }

        var issued = await SignAsync(name, csrPem);
        S.Accounts[name] = new AccountRecord { Name = name, IsAdmin = isAdmin, Created = clock.GetUtcNow(), Keys = [KeyOf(issued)] };
        S.Version++;
        await store.WriteStateAsync();
        return issued;
    }

    public async Task<AccountCredentialIssued> AddKeyAsync(string name, string csrPem)
    {
        RequireAdmin("form account add-key");
        var account = Find(name);
        var issued = await SignAsync(name, csrPem);
        account.Keys.Add(KeyOf(issued));
        S.Version++;
        await store.WriteStateAsync();
        return issued;
    }

    public Task<IReadOnlyList<AccountInfo>> ListAsync()
    {
        RequireAdmin("form account list");
        return Task.FromResult<IReadOnlyList<AccountInfo>>([.. S.Accounts.Values.OrderBy(a => a.Name, StringComparer.Ordinal).Select(a => a.ToInfo())]);
    }

    public Task<AccountInfo> GetAsync(string name)
    {
        var caller = CallerContext.CurrentOrSystem;
        if (!caller.IsAdmin && caller.Account != name)
        {
            throw FormationException.NotFound($"no account named '{name}' (a member sees only their own account; `form whoami`).");
        }

        return Task.FromResult(Find(name).ToInfo());
    }

    public async Task<AccountInfo> DeleteAsync(string name)
    {
        RequireAdmin("form account delete");
        if (name == Caller.AdminAccount)
        {
            throw FormationException.Invalid("the 'admin' account cannot be deleted: it is the cluster's first credential and root's. Revoke a key of it with `form account revoke-key admin --serial S`.");
        }

        Find(name);
        // Nothing may be left owned by an account that no longer exists (no member could see or delete it again).
        var holdings = await AccountHoldings.ListAsync(GrainFactory, name);
        if (!holdings.IsEmpty)
        {
            throw FormationException.Conflict($"account '{name}' still owns {holdings.Describe()}: delete them first, " +
                $"or `form account delete {name} --delete-resources` to delete them and then the account.");
        }

        var account = Find(name);
        var now = clock.GetUtcNow();
        foreach (var key in account.Keys)
        {
            S.Revoked.TryAdd(key.Serial, now);
        }

        S.Accounts.Remove(name);
        S.Version++;
        await store.WriteStateAsync();
        return account.ToInfo();
    }

    public async Task<IReadOnlyList<string>> RevokeAsync(string name, string? serial)
    {
        RequireAdmin("form account revoke-key");
        var now = clock.GetUtcNow();
        var revoked = new List<string>();
        if (S.Accounts.TryGetValue(name, out var account))
        {
            for (var i = 0; i < account.Keys.Count; i++)
            {
                var key = account.Keys[i];
                if (key.Revoked is null && (serial is null || Same(key.Serial, serial)))
                {
                    account.Keys[i] = key with { Revoked = now };
                    S.Revoked.TryAdd(key.Serial, now);
                    revoked.Add(key.Serial);
                }
            }
        }
        else
        {
            throw NoAccount(name);
        }

        if (serial is not null && revoked.Count == 0)
        {
            // A key the registry never recorded (the first admin credential is made before the registry exists): revoke its serial all the same.
            var normalized = serial.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant();
            if (normalized.Length == 0 || !normalized.All(Uri.IsHexDigit))
            {
                throw FormationException.Invalid($"--serial '{serial}' is not a certificate serial: use the hex serial `form account show {name}` or `form whoami` prints.");
            }

            if (S.Revoked.TryAdd(normalized, now))
            {
                revoked.Add(normalized);
            }
        }

        if (revoked.Count > 0)
        {
            S.Version++;
            await store.WriteStateAsync();
        }

        return revoked;
    }

    public async Task RecordNodeKeyAsync(NodeKey key)
    {
        if (!Equals(CallerContext.Current, Caller.System))
        {
            throw new FormationException(ErrorKind.PermissionDenied, "only a silo records its node's certificate (at start); no account may.");
        }

        if (!Names.IsDnsLabel(key.NodeId) || key.Serial.Length == 0 || !key.Serial.All(Uri.IsHexDigit))
        {
            throw FormationException.Invalid($"node key '{key.NodeId}' / '{key.Serial}' is not a node id and a hex serial.");
        }

        var serial = key.Serial.ToUpperInvariant();
        if (S.NodeKeys.ContainsKey(serial))
        {
            return;
        }

        // A serial revoked before it was recorded (e.g. `form account revoke-key` of it) stays revoked.
        S.NodeKeys[serial] = key with { Serial = serial, Revoked = S.Revoked.TryGetValue(serial, out var at) ? at : null };
        S.Version++;
        await store.WriteStateAsync();
    }

    public async Task<IReadOnlyList<string>> RevokeNodeAsync(string nodeId)
    {
        RequireAdmin("form node revoke");
        var keys = S.NodeKeys.Values.Where(k => k.NodeId == nodeId).ToList();
        if (keys.Count == 0)
        {
            throw FormationException.NotFound($"no node named '{nodeId}' has reported its certificate (`form node list` shows the nodes).");
        }

        var now = clock.GetUtcNow();
        var revoked = new List<string>();
        foreach (var key in keys.Where(k => k.Revoked is null))
        {
            S.NodeKeys[key.Serial] = key with { Revoked = now };
            S.Revoked.TryAdd(key.Serial, now);
            revoked.Add(key.Serial);
        }

        if (revoked.Count > 0)
        {
            S.Version++;
            await store.WriteStateAsync();
        }

        return revoked;
    }

    public Task<IReadOnlyList<NodeKey>> ListNodeKeysAsync() =>
        Task.FromResult<IReadOnlyList<NodeKey>>([.. S.NodeKeys.Values.OrderBy(k => k.NodeId, StringComparer.Ordinal).ThenBy(k => k.Expires)]);

    public Task<Caller> WhoAmIAsync() => Task.FromResult(CallerContext.CurrentOrSystem);

    public Task<AccountsView?> ViewAsync(long knownVersion)
    {
        if (knownVersion == S.Version)
        {
            return Task.FromResult<AccountsView?>(null);
        }

        return Task.FromResult<AccountsView?>(new AccountsView(S.Version,
            S.Accounts.Values.ToDictionary(a => a.Name, a => a.IsAdmin, StringComparer.Ordinal), [.. S.Revoked.Keys]));
    }

    private async Task<AccountCredentialIssued> SignAsync(string name, string csrPem)
    {
        var holder = await signer.HolderNodeAsync(CancellationToken.None);
        var acting = CallerContext.Current;
        CallerContext.Set(Caller.System);
        try
        {
            return await GrainFactory.GetGrain<ICertificateSignerGrain>($"{holder}/ca").SignAsync(name, csrPem);
        }
        finally
        {
            if (acting is not null)
            {
                CallerContext.Set(acting);
            }
        }
    }

    private AccountKey KeyOf(AccountCredentialIssued issued)
    {
        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem);
        return new AccountKey(certificate.SerialNumber, Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)), clock.GetUtcNow(),
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }

    private AccountRecord Find(string name) => S.Accounts.TryGetValue(name, out var account) ? account : throw NoAccount(name);

    private static FormationException NoAccount(string name) =>
        FormationException.NotFound($"no account named '{name}' (`form account list` shows them).");

    private static bool Same(string serial, string given) =>
        string.Equals(serial, given.Replace(":", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);

    private static void RequireAdmin(string command)
    {
        if (!CallerContext.CurrentOrSystem.IsAdmin)
        {
            throw new FormationException(ErrorKind.PermissionDenied,
                $"`{command}` is for admins, and account '{CallerContext.CurrentOrSystem.Account}' is a member: ask an admin.");
        }
    }
}
