namespace Formation.Testing;

/// <summary>
/// Accounts for tests, made the way an admin makes them: the real <c>form account create</c> against a running silo
/// (the key pair is made by form, the cluster CA signs it), and <c>form</c> runs that act as an account.
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
        FormProcess.RunAsync([.. args, "--credential", credential], environment);
}
