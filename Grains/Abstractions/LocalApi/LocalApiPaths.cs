namespace Formation.LocalApi;

/// <summary>
/// Where a node's Unix sockets live: the VMs' control sockets and the silo's local API socket. A socket path may not be
/// longer than 107 bytes, so they go in a short run directory, not under the (possibly deep) data directory.
/// </summary>
public static class LocalApiPaths
{
    /// <summary>$FORMATION_RUN_DIR, else /run/formation as root, else a folder under /tmp.</summary>
    public static readonly string RunRoot = Environment.GetEnvironmentVariable("FORMATION_RUN_DIR") is { Length: > 0 } configured
        ? configured
        : Environment.UserName == "root" ? "/run/formation" : Path.Combine("/tmp", "formation-run-" + Environment.UserName);

    /// <summary>The local API socket of the silo whose gateway listens on <paramref name="gatewayPort"/>.</summary>
    public static string Socket(int gatewayPort) => Path.Combine(RunRoot, $"api-{gatewayPort}.sock");
}
