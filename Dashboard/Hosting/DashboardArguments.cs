using Formation.Connection;

namespace Formation.Dashboard.Hosting;

/// <summary>The dashboard's command line: <c>--gateway</c>, <c>--postgres</c>, <c>--cluster-id</c>, <c>--credential</c>, <c>--listen</c>.</summary>
public static class DashboardArguments
{
    private static readonly IReadOnlyDictionary<string, string> Help = new Dictionary<string, string>
    {
        ["--gateway"] = $"a silo's gateway, HOST:PORT (default: $FORMATION_GATEWAY or {ConnectionSettings.DefaultGateway})",
        ["--postgres"] = "cluster mode: find silos through this PostgreSQL connection string (default: $FORMATION_POSTGRES)",
        ["--cluster-id"] = "Orleans cluster id (default: formation)",
        ["--credential"] = "cluster mode: the credential file to connect with (default: $FORMATION_CREDENTIAL, ~/.config/formation/credential, or root's /var/lib/formation/identity/admin.credential)",
        ["--listen"] = $"URL to serve on (default: $FORMATION_DASHBOARD_URL or {DashboardOptions.DefaultListen}); the dashboard has no authentication yet, keep it on loopback",
    };

    /// <summary>Parses <c>--flag value</c> and <c>--flag=value</c>; environment variables fill what is not given.</summary>
    public static bool TryParse(string[] args, out DashboardOptions options, out bool help, out string? error)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        options = new DashboardOptions();
        help = false;
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "--help")
            {
                help = true;
                continue;
            }

            var eq = arg.IndexOf('=');
            var flag = eq > 0 ? arg[..eq] : arg;
            if (!Help.ContainsKey(flag))
            {
                error = $"unknown option '{flag}'.";
                return false;
            }

            if (eq > 0)
            {
                values[flag] = arg[(eq + 1)..];
            }
            else if (i + 1 < args.Length)
            {
                values[flag] = args[++i];
            }
            else
            {
                error = $"{flag} needs a value.";
                return false;
            }
        }

        options = new DashboardOptions
        {
            Gateway = Value(values, "--gateway", "FORMATION_GATEWAY") ?? ConnectionSettings.DefaultGateway,
            Postgres = Value(values, "--postgres", "FORMATION_POSTGRES"),
            ClusterId = Value(values, "--cluster-id", null) ?? "formation",
            Credential = Formation.Identity.CredentialPaths.Resolve(Value(values, "--credential", null)),
            Listen = Value(values, "--listen", "FORMATION_DASHBOARD_URL") ?? DashboardOptions.DefaultListen,
        };
        if (options.Postgres is null && !options.Connection.TrySplitGateway(out _, out _))
        {
            error = $"--gateway '{options.Gateway}' must be HOST:PORT, for example {ConnectionSettings.DefaultGateway}.";
            return false;
        }

        // A credential that does not exist yet is waited for (scripts/run starts the dashboard before the silo writes it).
        if (options.Credential is { } credential && File.Exists(credential))
        {
            try
            {
                Formation.Identity.ClusterCredential.Load(credential).Dispose();
            }
            catch (Formation.Identity.CredentialException ex)
            {
                error = ex.Message;
                return false;
            }
        }

        if (!Uri.TryCreate(options.Listen, UriKind.Absolute, out var listen) || listen.Scheme != "http")
        {
            error = $"--listen '{options.Listen}' must be an http URL such as {DashboardOptions.DefaultListen}.";
            return false;
        }

        return true;
    }

    public static string Usage() =>
        "formation-dashboard — the Formation web console (an Orleans client of a Formation cluster).\n\n" +
        "Usage: formation-dashboard [options]\n\nOptions:\n" +
        string.Join('\n', Help.Select(h => $"  {h.Key,-13} {h.Value}")) + "\n  -h, --help    show this help";

    private static string? Value(Dictionary<string, string> values, string flag, string? environment)
    {
        var value = values.GetValueOrDefault(flag) ?? (environment is null ? null : Environment.GetEnvironmentVariable(environment));
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }
}
