using System.Net;
using Formation.Events;
using Formation.Grains.Common;
using Formation.Grains.Scheduling;
using Formation.Silo.Hosting;
using Formation.Silo.Identity;
using Formation.Silo.Nodes;
using Formation.Silo.Storage;
using Formation.Silo.Vms;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Formation.Silo.Tests.Clusters;

/// <summary>
/// An in-process cluster of three silos, nodes <c>node-0</c>..<c>node-2</c>, on the <c>sim</c> driver, with grain state in
/// a real SQLite file of the fixture's own (so state survives a silo that stops). Each node has a node certificate of
/// the fixture's own CA (<see cref="Authority"/>) for direct node-to-node connections (the image stream); the silos'
/// Orleans transport itself has no TLS here. Shared by a test class; tests use their own VM names so they do not interfere.
/// </summary>
public sealed class SimClusterFixture : IAsyncLifetime
{
    public const int SiloCount = 3;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public static string NodeIdOf(string siloName) => "node-" + siloName[(siloName.LastIndexOf('_') + 1)..];

    /// <summary>The CA that issued the nodes' certificates.</summary>
    public ClusterAuthority Authority { get; } = ClusterAuthority.Create("formation", DateTimeOffset.UtcNow);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "formation-tests", Guid.NewGuid().ToString("N"));

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var database = SqliteConnectionStrings.ForFile(Path.Combine(_directory, "formation.db"));
        var builder = new InProcessTestClusterBuilder(SiloCount);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            var nodeId = NodeIdOf(options.SiloName);
            silo.AddFormationAdoNetStorage(StorageNames.Formation, DatabaseKind.Sqlite, database);
            silo.AddFormationStateRows(DatabaseKind.Sqlite, database);
            silo.AddFormationAdoNetStorage(StorageNames.PubSub, DatabaseKind.Sqlite, database, StorageSetup.PubSubSerializer(StorageNames.PubSub));
            silo.Services.Configure<SchedulerOptions>(o =>
            {
                o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
                o.HeartbeatTimeout = TimeSpan.FromSeconds(3);
                o.HealthCheckInterval = TimeSpan.FromMilliseconds(500);
            });
            silo.Services.AddSingleton(new SimOptions { BootDelay = TimeSpan.FromMilliseconds(10) });
            silo.Services.AddSingleton(Authority.IssueCredential(nodeId, ClusterAuthority.NodeUnit, [IPAddress.Loopback], DateTimeOffset.UtcNow));
            var dataDir = Path.Combine(_directory, nodeId);
            silo.AddFormationCore(new FormationCoreSettings(nodeId, dataDir, "sim", $"127.0.0.1:{options.SiloPort}",
                $"127.0.0.1:{options.GatewayPort}",
                new CapacityOptions { VCpus = 16, MemoryMiB = 16384, DiskGiB = 100 }));
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(EventStreams.Provider, streams => streams.ConfigurePartitioning(EventStreams.QueueCount)));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }

        Authority.Dispose();

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
