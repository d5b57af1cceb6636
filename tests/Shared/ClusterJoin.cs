namespace Formation.Testing;

/// <summary>
/// Cluster-mode silos as an operator starts them: the first node of a database makes the cluster CA and an admin
/// credential; every further node joins with a one-time token that the real <c>form node token create</c> makes
/// through that credential (mutual TLS to the first node's gateway).
/// </summary>
public static class ClusterJoin
{
    /// <summary>The admin credential the first node wrote into its data directory.</summary>
    public static string AdminCredential(SiloProcess first) => AdminCredential(first.Options);

    public static string AdminCredential(SiloProcessOptions first) => Path.Combine(first.DataDirectory, "identity", "admin.credential");

    /// <summary>Runs <c>form node token create</c> against <paramref name="first"/> and returns the token.</summary>
    public static async Task<string> TokenAsync(SiloProcess first, string ttl = "10m")
    {
        var run = await FormProcess.RunAsync(["node", "token", "create", "--ttl", ttl, "--gateway", $"{first.Options.Advertise}:{first.Options.GatewayPort}", "--credential", AdminCredential(first)]);
        if (run.ExitCode != 0)
        {
            throw new InvalidOperationException($"form node token create failed:\n{run}");
        }

        return run.Out.Trim();
    }

    /// <summary><paramref name="options"/> for a node that joins through <paramref name="first"/> (the CA holder) with a fresh token.</summary>
    public static async Task<SiloProcessOptions> JoiningAsync(SiloProcessOptions options, SiloProcess first) =>
        options with { JoinToken = await TokenAsync(first), JoinAddress = $"{first.Options.Advertise}:{first.Options.JoinPort}" };

    /// <summary>Starts <paramref name="options"/>: the first node as it is, every later one joining through <paramref name="first"/>.</summary>
    public static async Task<SiloProcess> StartAsync(SiloProcessOptions options, SiloProcess? first) =>
        await SiloProcess.StartAsync(first is null ? options : await JoiningAsync(options, first));
}
