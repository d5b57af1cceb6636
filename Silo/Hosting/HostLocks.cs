using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Formation.LocalApi;
using Npgsql;

namespace Formation.Silo.Hosting;

/// <summary>
/// What one silo holds on its host while it runs, so that a second one refuses to start instead of sharing it: the silo,
/// gateway and HTTP API ports (an exclusive lock file per port, plus a bind without port reuse that also catches other programs)
/// and, in cluster mode, its node id in that cluster (a lock file per cluster and node id). Locks are <c>flock</c>s on
/// files in the run directory: the kernel drops them when the process dies, even by SIGKILL.
/// </summary>
public sealed class HostLocks : IDisposable
{
    private readonly List<LockFile> _held = [];

    private HostLocks()
    {
    }

    /// <summary>Where the lock files live: <c>$FORMATION_RUN_DIR/locks</c> (default /run/formation/locks).</summary>
    public static string Directory => Path.Combine(LocalApiPaths.RunRoot, "locks");

    /// <summary>Takes every lock of <paramref name="config"/>, or none and says which one another process holds.</summary>
    public static HostLocks? TryAcquire(SiloConfig config, out string? error)
    {
        var locks = new HostLocks();
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            if (config.Mode == FormationMode.Cluster && config.Postgres is { } postgres)
            {
                var file = $"node-{ClusterKey(postgres, config.ClusterId)}-{config.NodeId}.lock";
                if (!locks.TryTake(file, out var owner))
                {
                    error = $"node id '{config.NodeId}' is already used by another formation-silo on this host{Owner(owner)} in the same cluster. " +
                        "Stop it, or give this one its own --node-id.";
                    locks.Dispose();
                    return null;
                }
            }

            var ports = new List<(int Port, string Flag)> { (config.SiloPort, "--silo-port"), (config.GatewayPort, "--gateway-port") };
            if (config.HttpApi is { } http)
            {
                ports.Add((http.Port, "--http-port"));
            }

            if (config.MetricsPort > 0)
            {
                ports.Add((config.MetricsPort, "--metrics-port"));
            }

            foreach (var (port, flag) in ports)
            {
                if (!locks.TryTake($"port-{port}.lock", out var owner) || !IsFree(port))
                {
                    error = $"port {port} ({flag}) is already in use on this host{Owner(owner)}. " +
                        $"Stop the process using it (is another silo running?) or choose another port with {flag}.";
                    locks.Dispose();
                    return null;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            locks.Dispose();
            error = $"cannot create lock files in {Directory}: {ex.Message}. Set FORMATION_RUN_DIR to a writable directory.";
            return null;
        }

        error = null;
        return locks;
    }

    /// <summary>
    /// Whether nothing listens on <paramref name="port"/> (any address). The probe binds with SO_REUSEADDR only (so a
    /// port in TIME_WAIT after a restart is fine) but without SO_REUSEPORT, so it fails against any listener, including
    /// one that allows port reuse — which is how two silos used to share ports.
    /// </summary>
    public static bool IsFree(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        const int solSocket = 1, soReuseAddr = 2;
        socket.SetRawSocketOption(solSocket, soReuseAddr, BitConverter.GetBytes(1));
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, port));
            socket.Listen(1);
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return false;
        }
    }

    /// <summary>Which cluster a node id belongs to: the database (host, port, name) and the cluster id, hashed.</summary>
    public static string ClusterKey(string postgres, string clusterId)
    {
        var b = new NpgsqlConnectionStringBuilder(postgres);
        var identity = $"{b.Host?.ToLowerInvariant()}|{b.Port}|{b.Database}|{clusterId}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..12];
    }

    public void Dispose()
    {
        foreach (var held in _held)
        {
            held.Dispose();
        }

        _held.Clear();
    }

    private bool TryTake(string name, out string? owner)
    {
        if (LockFile.TryTake(Path.Combine(Directory, name), out owner) is not { } taken)
        {
            return false;
        }

        _held.Add(taken);
        return true;
    }

    private static string Owner(string? pid) => LockFile.Describe(pid);
}
