using Formation.Errors;
using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// This silo's copy of the account registry's <see cref="AccountsView"/>: which accounts exist, which are admins, which
/// certificate serials are revoked. Refreshed by <see cref="AccountDirectoryRefresher"/> at least every
/// <see cref="AccountDirectoryRefresher.Interval"/>; read on every call by the identity filter (lock-free lookups).
/// </summary>
public sealed class AccountDirectory
{
    /// <summary>How long a call waits for the first copy before it is refused (a silo that just started).</summary>
    public static readonly TimeSpan FirstLoadWait = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Snapshot _current = new(-1, new Dictionary<string, bool>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));

    public long Version => _current.Version;

    public bool IsLoaded => _loaded.Task.IsCompleted;

    /// <summary>Takes a newer view of the registry.</summary>
    public void Apply(AccountsView view)
    {
        _current = new Snapshot(view.Version, new Dictionary<string, bool>(view.Accounts, StringComparer.Ordinal),
            new HashSet<string>(view.RevokedSerials, StringComparer.OrdinalIgnoreCase));
        _loaded.TrySetResult();
    }

    /// <summary>True when the certificate with this serial (hex) was revoked.</summary>
    public bool IsRevoked(string serial) => _current.Revoked.Contains(serial);

    /// <summary>The caller for a verified account certificate named <paramref name="account"/>, or Unauthenticated.</summary>
    public ValueTask<Caller> CallerForAsync(string account)
    {
        if (account == Caller.AdminAccount)
        {
            return ValueTask.FromResult(Caller.Admin); // the first credential's account exists before the registry does
        }

        return IsLoaded ? ValueTask.FromResult(Lookup(account)) : WaitAsync(account);
    }

    private async ValueTask<Caller> WaitAsync(string account)
    {
        try
        {
            await _loaded.Task.WaitAsync(FirstLoadWait);
        }
        catch (TimeoutException)
        {
            throw new FormationException(ErrorKind.Unauthenticated,
                "this silo has not read the cluster's accounts yet (it may have just started): try again in a few seconds.");
        }

        return Lookup(account);
    }

    private Caller Lookup(string account) => _current.Accounts.TryGetValue(account, out var admin)
        ? new Caller(account, admin)
        : throw new FormationException(ErrorKind.Unauthenticated,
            $"account '{account}' does not exist (it was deleted): ask an admin for a new credential, then `form login --credential FILE`.");

    private sealed record Snapshot(long Version, Dictionary<string, bool> Accounts, HashSet<string> Revoked);
}
