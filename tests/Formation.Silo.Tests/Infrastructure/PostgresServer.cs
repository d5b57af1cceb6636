using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Formation.Silo.Tests.Infrastructure;

/// <summary>
/// A real, private PostgreSQL server for one test collection: started through scripts/postgres
/// (as the 'postgres' user when the tests run as root) on 127.0.0.1 with a free port and a data
/// directory under /tmp, trusted local connections, fsync off. Each test class asks for its own
/// fresh database with <see cref="CreateDatabaseAsync"/>. Disposing stops the server and removes
/// its directory. PostgreSQL is installed by scripts/test (scripts/apt-packages.txt): where it is missing, every test
/// using it fails, saying so (it is not hardware, so it is no reason to skip).
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private const string DataDirectoryPrefix = "formation-pg-";
    private int _databaseCount;
    private string? _dataDirectory;

    /// <summary>Why the tests cannot use PostgreSQL here, or null when the server runs.</summary>
    public string? UnavailableReason { get; private set; }

    public int Port { get; private set; }

    /// <summary>The directory of the server's Unix socket (reachable from other network namespaces).</summary>
    public string SocketDirectory => _dataDirectory ?? throw new InvalidOperationException("The PostgreSQL server is not running.");

    /// <summary>The maintenance database ("postgres") of the server.</summary>
    public string AdminConnectionString => ConnectionStringFor("postgres");

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = true,
    }.ToString();

    /// <summary>Fails the calling test, saying why, when the server could not be provided.</summary>
    public void RequireAvailable() => Prerequisites.Require(UnavailableReason is null, UnavailableReason ?? string.Empty);

    /// <summary>Creates an empty database with a unique name and answers its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string label)
    {
        RequireAvailable();
        var name = $"t{Interlocked.Increment(ref _databaseCount)}_{Sanitize(label)}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionStringFor(name);
    }

    public async ValueTask InitializeAsync()
    {
        if (!ServerBinariesInstalled())
        {
            UnavailableReason = "PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin/initdb; Debian package postgresql)";
            return;
        }

        await RemoveStaleServersAsync();
        Port = FreePort();
        _dataDirectory = Path.Combine(Path.GetTempPath(), $"{DataDirectoryPrefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        var result = await RunScriptAsync("start", _dataDirectory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/postgres start failed (exit {result.ExitCode}):\n{result.Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_dataDirectory is null)
        {
            return;
        }

        await StopAndRemoveAsync(_dataDirectory);
        _dataDirectory = null;
    }

    private static async Task StopAndRemoveAsync(string dataDirectory)
    {
        var result = await RunScriptAsync("stop", dataDirectory);
        if (result.ExitCode == 0 && Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>Stops servers left behind by earlier test processes that died (their process id is gone).</summary>
    private static async Task RemoveStaleServersAsync()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), DataDirectoryPrefix + "*"))
        {
            var name = Path.GetFileName(dir)[DataDirectoryPrefix.Length..];
            var dash = name.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && int.TryParse(name[..dash], out var pid) && !ProcessExists(pid))
            {
                await StopAndRemoveAsync(dir);
            }
        }
    }

    /// <summary>Where scripts/postgres looks: $FORMATION_PG_BIN, else /usr/lib/postgresql/*/bin.</summary>
    private static bool ServerBinariesInstalled()
    {
        var pinned = Environment.GetEnvironmentVariable("FORMATION_PG_BIN");
        if (!string.IsNullOrEmpty(pinned))
        {
            return File.Exists(Path.Combine(pinned, "initdb"));
        }

        return Directory.Exists("/usr/lib/postgresql")
            && Directory.EnumerateDirectories("/usr/lib/postgresql").Any(dir => File.Exists(Path.Combine(dir, "bin", "initdb")));
    }

    private static bool ProcessExists(int pid) => Directory.Exists($"/proc/{pid}");

    private static Task<ProcessRunner.Result> RunScriptAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(
            "bash",
            [RepositoryPaths.Script("postgres"), .. arguments],
            new Dictionary<string, string> { ["FORMATION_PG_FAST"] = "1" },
            TimeSpan.FromMinutes(2));

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Sanitize(string label)
    {
        var chars = label.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(40).ToArray();
        return chars.Length == 0 ? "db" : new string(chars);
    }
}
