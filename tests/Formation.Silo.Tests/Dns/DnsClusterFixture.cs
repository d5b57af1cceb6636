using Formation.Events;
using Formation.Grains.Common;
using Formation.Grains.Scheduling;
using Formation.Silo.Dns;
using Formation.Silo.Hosting;
using Formation.Silo.Nodes;
using Formation.Silo.Storage;
using Formation.Silo.Vms;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Formation.Silo.Tests.Dns;

/// <summary>
/// Two in-process silos (nodes <c>dns-0</c>, <c>dns-1</c>) on the sim driver with addresses from the real address pool,
/// each serving DNS on its own loopback address (127.0.0.1, 127.0.0.2) and one free port, fed by the fabric.
/// </summary>
public sealed class DnsClusterFixture : IAsyncLifetime
{
    public const int SiloCount = 2;

    public static readonly TimeSpan Resync = TimeSpan.FromSeconds(2);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "formation-tests", Guid.NewGuid().ToString("N"));

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public int Port { get; } = FreePorts.Next();

    public static string NodeIdOf(string siloName) => "dns-" + siloName[(siloName.LastIndexOf('_') + 1)..];

    /// <summary>The loopback address silo <paramref name="index"/> answers on.</summary>
    public static string AddressOf(int index) => $"127.0.0.{index + 1}";

    public DnsAgent Agent(int index) => Cluster.Silos[index].ServiceProvider.GetRequiredService<DnsAgent>();

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var database = SqliteConnectionStrings.ForFile(Path.Combine(_directory, "formation.db"));
        var builder = new InProcessTestClusterBuilder(SiloCount);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((options, silo) =>
        {
            var nodeId = NodeIdOf(options.SiloName);
            var index = int.Parse(options.SiloName[(options.SiloName.LastIndexOf('_') + 1)..]);
            silo.AddFormationAdoNetStorage(StorageNames.Formation, DatabaseKind.Sqlite, database);
            silo.AddFormationStateRows(DatabaseKind.Sqlite, database);
            silo.AddFormationAdoNetStorage(StorageNames.PubSub, DatabaseKind.Sqlite, database, StorageSetup.PubSubSerializer(StorageNames.PubSub));
            silo.Services.Configure<SchedulerOptions>(o =>
            {
                o.HeartbeatInterval = TimeSpan.FromMilliseconds(500);
                o.HeartbeatTimeout = TimeSpan.FromSeconds(3);
                o.HealthCheckInterval = TimeSpan.FromMilliseconds(500);
            });
            silo.Services.AddSingleton(new SimOptions { BootDelay = TimeSpan.FromMilliseconds(10), Addresses = true });
            silo.Services.Configure<DnsOptions>(o =>
            {
                o.Listen = [AddressOf(index)];
                o.Port = Port;
                o.ListenOnBridge = false;
                o.ResyncInterval = Resync;
            });
            silo.AddFormationCore(new FormationCoreSettings(nodeId, Path.Combine(_directory, nodeId), "sim", $"127.0.0.1:{options.SiloPort}",
                $"127.0.0.1:{options.GatewayPort}", new CapacityOptions { VCpus = 16, MemoryMiB = 16384, DiskGiB = 100 }));
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

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
