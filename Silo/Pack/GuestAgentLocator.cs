using Formation.Silo.Platform;

namespace Formation.Silo.Pack;

/// <summary>
/// Finds the Formation guest agent (<c>formation-agent</c>, put into every image's base layer at
/// <see cref="Formation.Agent.AgentProtocol.GuestPath"/>) — the one place that decides. Order:
/// <see cref="PackOptions.GuestAgentPath"/>, then the <c>FORMATION_GUEST_AGENT</c> environment variable, then
/// <c>/var/cache/formation/guest-agent/current/formation-agent</c> (built by <c>scripts/build-guest-agent</c>).
/// A directory means its <c>formation-agent</c>. The result is the fully resolved path (not the moving <c>current</c> link).
/// </summary>
public static class GuestAgentLocator
{
    public const string EnvironmentVariable = "FORMATION_GUEST_AGENT";
    public const string DefaultPath = "/var/cache/formation/guest-agent/current/formation-agent";
    public const string FileName = "formation-agent";

    /// <summary>The configured or default agent path (which may not exist).</summary>
    public static string CandidatePath(PackOptions? options = null)
    {
        var path = options?.GuestAgentPath;
        if (string.IsNullOrEmpty(path))
        {
            path = Environment.GetEnvironmentVariable(EnvironmentVariable);
        }

        if (string.IsNullOrEmpty(path))
        {
            path = DefaultPath;
        }

        return Directory.Exists(path) ? Path.Combine(path, FileName) : path;
    }

    /// <summary>The resolved agent binary, or null when there is none.</summary>
    public static string? TryResolve(PackOptions? options = null)
    {
        var candidate = CandidatePath(options);
        return File.Exists(candidate) ? HostPaths.RealPath(candidate) : null;
    }
}
