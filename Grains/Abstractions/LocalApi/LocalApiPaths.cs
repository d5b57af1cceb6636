namespace Formation.LocalApi;

/// <summary>
/// Where a node's Unix sockets live: the VMs' control sockets and the silo's local API socket. A socket path may not be
/// longer than 107 bytes, so they go in a short run directory, not under the (possibly deep) data directory.
/// </summary>
public static class LocalApiPaths
{
    /// <summary>
    /// $FORMATION_RUN_DIR, else /run/formation as root, else the user's own runtime directory ($XDG_RUNTIME_DIR, or
    /// ~/.cache/formation/run) — never a predictable name in /tmp, where another local user could create it first.
    /// </summary>
    public static readonly string RunRoot = Environment.GetEnvironmentVariable("FORMATION_RUN_DIR") is { Length: > 0 } configured
        ? configured
        : Environment.UserName == "root" ? "/run/formation"
        : Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime ? Path.Combine(runtime, "formation")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "formation", "run");

    /// <summary>
    /// Creates <see cref="RunRoot"/> (or <paramref name="directory"/>) as 0700 before any socket is bound in it, so no
    /// socket is ever reachable by other users, not even between bind and chmod.
    /// </summary>
    public static void EnsurePrivate(string? directory = null)
    {
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var path = directory ?? RunRoot;
        Directory.CreateDirectory(path, OwnerOnly);
        File.SetUnixFileMode(path, OwnerOnly);
    }

    /// <summary>The local API socket of the silo whose gateway listens on <paramref name="gatewayPort"/>.</summary>
    public static string Socket(int gatewayPort) => Path.Combine(RunRoot, $"api-{gatewayPort}.sock");
}
