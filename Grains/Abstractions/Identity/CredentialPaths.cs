namespace Formation.Identity;

/// <summary>Where a client (form, the dashboard) finds its credential when none is named.</summary>
public static class CredentialPaths
{
    public const string EnvironmentVariable = "FORMATION_CREDENTIAL";

    /// <summary>The admin credential a node writes when it creates a cluster, inside its data directory.</summary>
    public static string AdminIn(string dataDirectory) => Path.Combine(dataDirectory, "identity", "admin.credential");

    /// <summary>The user's own credential: $XDG_CONFIG_HOME/formation/credential (or ~/.config/formation/credential).</summary>
    public static string User()
    {
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        if (string.IsNullOrWhiteSpace(config))
        {
            config = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        }

        return Path.Combine(config, "formation", "credential");
    }

    /// <summary>Where <c>form account create NAME</c> writes the new credential: ~/.config/formation/credentials/NAME.credential.</summary>
    public static string Account(string name) => Path.Combine(Path.GetDirectoryName(User())!, "credentials", $"{name}.credential");

    /// <summary>Like <see cref="Resolve"/>, also saying where the credential came from (for <c>form whoami</c>).</summary>
    public static string? Resolve(string? named, out string source)
    {
        var path = Resolve(named);
        source = path is null ? "none found"
            : !string.IsNullOrWhiteSpace(named) ? "--credential"
            : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } ? $"${EnvironmentVariable}"
            : path == User() ? "the user's default (form login)"
            : "the local silo's admin credential (its default data directory)";
        return path;
    }

    /// <summary>
    /// The credential to use: <paramref name="named"/> (--credential), else $FORMATION_CREDENTIAL, else the user's own
    /// file, else the admin credential of root's default data directory (/var/lib/formation) when readable, else that of
    /// the user's own silo's default data directory; null when there is none.
    /// </summary>
    public static string? Resolve(string? named)
    {
        if (!string.IsNullOrWhiteSpace(named))
        {
            return named;
        }

        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        // A user's own embedded silo (default data directory ~/.local/share/formation) writes its admin credential there.
        var ownSilo = AdminIn(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "formation"));
        foreach (var candidate in new[] { User(), AdminIn("/var/lib/formation"), ownSilo })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>
    /// True when a command resolving its credential from <paramref name="named"/> acts as an account other than admin
    /// (a credential other than a silo's <c>admin.credential</c>): it must then not use the local API socket, which acts
    /// as the admin account for the host's root. (Only root and the silo's user reach that socket, and they are admin
    /// anyway: this keeps root who asks to act as a member from acting as admin by accident; it grants nothing.)
    /// </summary>
    public static bool ActsAsAccount(string? named) =>
        Resolve(named) is { } path && Path.GetFileName(path) != "admin.credential";
}
