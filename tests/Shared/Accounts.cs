using Formation.Identity;
using Orleans;
using Orleans.Runtime;

namespace Formation.Testing;

/// <summary>
/// "Act as account X" for tests, in one place. Today it puts the caller in the request context the client sends (what
/// the silo reads until the identity filter verifies credentials); once credentials are checked, this is the one method
/// to switch to a client that presents account X's credential.
/// </summary>
public static class Accounts
{
    /// <summary>Runs <paramref name="action"/> with <paramref name="client"/> acting as member (or admin) <paramref name="account"/>.</summary>
    public static async Task<T> AsAccount<T>(IClusterClient client, string account, Func<IClusterClient, Task<T>> action, bool admin = false)
    {
        // An async method's changes to the request context end with it: the caller's context is untouched afterwards.
        CallerContext.Set(new Caller(account, admin));
        return await action(client);
    }

    /// <inheritdoc cref="AsAccount{T}(IClusterClient, string, Func{IClusterClient, Task{T}}, bool)"/>
    public static Task AsAccount(IClusterClient client, string account, Func<IClusterClient, Task> action, bool admin = false) =>
        AsAccount(client, account, async c => { await action(c); return true; }, admin);
}
