using System.Diagnostics;
using Formation.Cli.Connection;
using Formation.Connection;
using Formation.Testing;

namespace Formation.Bench.FrontDoor;

/// <summary>
/// A private PostgreSQL (scripts/postgres, as the cluster-mode tests start it) and N formation-silo processes in cluster
/// mode with the sim driver and room for thousands of small VMs, on free ports in a scratch directory. Or PostgreSQL
/// alone (<see cref="StartPostgresAsync"/>), with silos added one by one as the bench needs them (bench/Mesh starts them
/// in network namespaces).
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    private readonly string _dir;
    private readonly List<SiloProcess> _silos = [];
    private bool _postgresStarted;
    private int _postgresPort;

    private BenchCluster(string bench) => _dir = Path.Combine(Path.GetTempPath(), "formation-bench", $"{bench}-{Guid.NewGuid():N}");

    public string Postgres { get; private set; } = "";

    public IReadOnlyList<SiloProcess> Silos => _silos;

    /// <summary>The gateways of all silos, starting with silo <paramref name="first"/>: a worker's --gateway list.</summary>
    public string GatewaysFrom(int first) =>
        string.Join(',', Enumerable.Range(0, _silos.Count).Select(i => _silos[(first + i) % _silos.Count].Gateway));

    public static async Task<BenchCluster> StartAsync(int silos)
    {
        var cluster = await StartPostgresAsync("frontdoor");
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["Formation__Capacity__VCpus"] = "4000",
                ["Formation__Capacity__MemoryMiB"] = "1000000",
                ["Formation__Capacity__DiskGiB"] = "4000",
            };
            for (var i = 1; i <= silos; i++)
            {
                var node = $"fd-bench-{i}";
                await cluster.AddSiloAsync(new SiloProcessOptions(node, cluster.DataDirectory(node)) { Postgres = cluster.Postgres, Environment = environment });
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Only the private PostgreSQL, in a scratch directory named after <paramref name="bench"/>; silos come with <see cref="AddSiloAsync"/>.</summary>
    public static async Task<BenchCluster> StartPostgresAsync(string bench)
    {
        var cluster = new BenchCluster(bench);
        try
        {
            Directory.CreateDirectory(cluster._dir);
            var port = FreePorts.Next();
            var pg = await RunAsync("bash", RepositoryPaths.Script("postgres"), "start", cluster.PostgresDirectory, port.ToString());
            if (pg.Code != 0)
            {
                throw new InvalidOperationException($"scripts/postgres start failed:\n{pg.Output}");
            }

            cluster._postgresStarted = true;
            cluster._postgresPort = port;
            cluster.Postgres = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts a silo in cluster mode: the first makes the cluster CA; every later one joins through it with a one-time
    /// token, as an operator's nodes do. <paramref name="options"/> names the node, its data directory and how it reaches PostgreSQL.
    /// </summary>
    public async Task<SiloProcess> AddSiloAsync(SiloProcessOptions options, TimeSpan? timeout = null)
    {
        var silo = await SiloProcess.StartAsync(await JoiningAsync(options), timeout);
        _silos.Add(silo);
        return silo;
    }

    /// <summary><paramref name="options"/> in cluster mode, with a join token from the first silo unless there is none yet.</summary>
    public async Task<SiloProcessOptions> JoiningAsync(SiloProcessOptions options)
    {
        options = options with { Mode = "cluster" };
        return _silos.Count == 0 ? options : await ClusterJoin.JoiningAsync(options, _silos[0]);
    }

    /// <summary>Keeps a silo started elsewhere (e.g. timed by the caller) so that disposing the cluster ends it too.</summary>
    public void Adopt(SiloProcess silo) => _silos.Add(silo);

    /// <summary>A scratch directory for node <paramref name="node"/>'s data.</summary>
    public string DataDirectory(string node) => Path.Combine(_dir, node);

    /// <summary>
    /// PostgreSQL through its Unix socket (in its data directory): what a silo in another network namespace uses, since
    /// the server listens on the root namespace's 127.0.0.1 only.
    /// </summary>
    public string PostgresSocket => $"Host={PostgresDirectory};Port={_postgresPort};Username=postgres;Database=postgres";

    private string PostgresDirectory => Path.Combine(_dir, "pg");

    /// <summary>The PostgreSQL server's main process (first line of postmaster.pid), for CPU accounting; null without one.</summary>
    public int? PostmasterPid => _postgresStarted && File.Exists(Path.Combine(PostgresDirectory, "postmaster.pid"))
        ? int.Parse(File.ReadLines(Path.Combine(PostgresDirectory, "postmaster.pid")).First())
        : null;

    /// <summary>An Orleans client for checking results (not part of what is measured).</summary>
    public Task<ClusterConnection> ConnectAsync() =>
        ClusterConnection.ConnectAsync(new ConnectionSettings(GatewaysFrom(0), null, "formation", "formation", TimeSpan.FromSeconds(30), AdminCredential),
            CancellationToken.None);

    /// <summary>The admin credential the first node wrote (cluster mode needs one for every Orleans client).</summary>
    public string AdminCredential => ClusterJoin.AdminCredential(_silos[0]);

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        if (_postgresStarted)
        {
            await RunAsync("bash", RepositoryPaths.Script("postgres"), "stop", PostgresDirectory);
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["FORMATION_PG_FAST"] = "1";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
