using System.Diagnostics;
using Formation.Cli.Connection;
using Formation.Connection;
using Formation.Testing;

namespace Formation.Bench.FrontDoor;

/// <summary>
/// A private PostgreSQL (scripts/postgres, as the cluster-mode tests start it) and N formation-silo processes in cluster
/// mode with the sim driver and room for thousands of small VMs, on free ports in a scratch directory.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "formation-bench", $"frontdoor-{Guid.NewGuid():N}");
    private readonly List<SiloProcess> _silos = [];
    private bool _postgresStarted;

    public string Postgres { get; private set; } = "";

    public IReadOnlyList<SiloProcess> Silos => _silos;

    /// <summary>The gateways of all silos, starting with silo <paramref name="first"/>: a worker's --gateway list.</summary>
    public string GatewaysFrom(int first) =>
        string.Join(',', Enumerable.Range(0, _silos.Count).Select(i => _silos[(first + i) % _silos.Count].Gateway));

    public static async Task<BenchCluster> StartAsync(int silos)
    {
        var cluster = new BenchCluster();
        try
        {
            Directory.CreateDirectory(cluster._dir);
            var port = FreePorts.Next();
            var pg = await RunAsync("bash", RepositoryPaths.Script("postgres"), "start", Path.Combine(cluster._dir, "pg"), port.ToString());
            if (pg.Code != 0)
            {
                throw new InvalidOperationException($"scripts/postgres start failed:\n{pg.Output}");
            }

            cluster._postgresStarted = true;
            cluster.Postgres = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
            var environment = new Dictionary<string, string>
            {
                ["Formation__Capacity__VCpus"] = "4000",
                ["Formation__Capacity__MemoryMiB"] = "1000000",
                ["Formation__Capacity__DiskGiB"] = "4000",
            };
            for (var i = 1; i <= silos; i++)
            {
                var node = $"fd-bench-{i}";
                // The first node makes the cluster CA; the others join with tokens, as an operator's nodes do.
                cluster._silos.Add(await ClusterJoin.StartAsync(
                    new SiloProcessOptions(node, Path.Combine(cluster._dir, node)) { Mode = "cluster", Postgres = cluster.Postgres, Environment = environment },
                    cluster._silos.FirstOrDefault()));
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

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
            await RunAsync("bash", RepositoryPaths.Script("postgres"), "stop", Path.Combine(_dir, "pg"));
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
