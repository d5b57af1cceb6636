using Formation.Identity;
using Orleans;
using Orleans.Runtime;

namespace Formation.Testing;

/// <summary>
/// Accounts for tests, made the way an admin makes them: the real <c>form account create</c> against a running silo
/// (the key pair is made by form, the cluster CA signs it), and <c>form</c> runs that act as an account; and, for
/// in-process test clusters (which have no identity filter), <see cref="AsAccount{T}"/>, which puts the caller in the
/// request context the client sends. Real silos overwrite that from the verified credential, so tests against silo
/// processes act as an account only through a credential made here.
/// </summary>
public static class Accounts
{
    /// <summary>
    /// Makes account <paramref name="name"/> (an admin when <paramref name="admin"/>) through <paramref name="gateway"/>
    /// with <paramref name="adminCredential"/>; returns the path of its new credential, in <paramref name="directory"/>.
    /// </summary>
    public static async Task<string> CreateAsync(string gateway, string adminCredential, string name, bool admin, string directory)
    {
        var path = Path.Combine(directory, $"{name}.credential");
        List<string> args = ["account", "create", name, "--out", path, "--gateway", gateway, "--credential", adminCredential];
        if (admin)
        {
            args.Add("--admin");
        }

        var run = await FormProcess.RunAsync(args);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"form account create {name} failed:\n{run}");
        }

        return path;
    }

    /// <summary>Makes account <paramref name="name"/> on an embedded-mode silo started by <see cref="SiloProcess"/>, with its admin credential.</summary>
    public static Task<string> CreateAsync(SiloProcess silo, string name, bool admin, string directory) =>
        CreateAsync(silo.Gateway, SiloProcess.AdminCredentialFor(silo.Options.GatewayPort)
            ?? Path.Combine(silo.Options.DataDirectory, "identity", "admin.credential"), name, admin, directory);

    /// <summary>Runs <c>form ARGS --credential CREDENTIAL</c>: the command acts as that credential's account.</summary>
    public static Task<FormProcess.Result> FormAsync(string credential, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        FormProcess.RunAsync(SiloProcess.WithOptions([.. args], "--credential", credential), environment);

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
