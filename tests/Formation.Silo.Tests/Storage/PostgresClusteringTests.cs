using Formation.Connection;
using System.Net;
using System.Net.Sockets;
using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Messaging;

namespace Formation.Silo.Tests.Storage;

/// <summary>
/// Cluster mode end to end: two real silos (TCP on 127.0.0.1) find each other only through the
/// PostgreSQL membership table, and a client finds them through its gateway list.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusteringTests(PostgresServer server)
{
    private static readonly TimeSpan Membership = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoSilos_ClusteredThroughPostgres_SeeEachOtherAndServeAClient()
    {
        var connectionString = await server.CreateDatabaseAsync("clustering");
        var db = new TestDatabase(DatabaseKind.PostgreSql, connectionString);
        var clusterId = "cluster-" + Guid.NewGuid().ToString("N")[..8];

        using var siloA = await StartSiloAsync(connectionString, clusterId, "node-a");
        using var siloB = await StartSiloAsync(connectionString, clusterId, "node-b");
        await Eventually.TrueAsync(() => ActiveSilos(siloA) == 2 && ActiveSilos(siloB) == 2, Membership, "both silos to see two active members");

        var rows = await db.RowsAsync(
            "SELECT silo_name, status, proxy_port FROM orleans_membership WHERE deployment_id = @cluster ORDER BY silo_name",
            ("cluster", clusterId));
        Assert.Equal(["node-a", "node-b"], rows.Select(r => (string)r[0]!));
        Assert.All(rows, r => Assert.Equal((int)SiloStatus.Active, r[1]));

        using var client = await StartClientAsync(connectionString, clusterId);
        var gateways = await client.Services.GetRequiredService<IGatewayListProvider>().GetGateways();
        Assert.Equal(2, gateways.Count);
        var grain = client.Services.GetRequiredService<IClusterClient>().GetGrain<IStorageProbeGrain>("clustered");
        await grain.SetAsync(new ProbeState { Name = "through-the-gateway" });
        Assert.Equal("through-the-gateway", (await grain.GetAsync()).Name);

        await client.StopAsync(Ct);
        await siloB.StopAsync(Ct);
        await Eventually.TrueAsync(() => ActiveSilos(siloA) == 1, Membership, "silo A to see that silo B left");
        Assert.Equal(
            (int)SiloStatus.Dead,
            await db.ScalarAsync("SELECT status FROM orleans_membership WHERE deployment_id = @cluster AND silo_name = 'node-b'", ("cluster", clusterId)));
        await siloA.StopAsync(Ct);
    }

    private static int ActiveSilos(IHost silo) =>
        silo.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);

    private static async Task<IHost> StartSiloAsync(string connectionString, string clusterId, string name)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleans(silo =>
        {
            silo.UseFormationAdoNetClustering(connectionString);
            silo.AddFormationAdoNetStorage(StorageTestCluster.StorageName, DatabaseKind.PostgreSql, connectionString);
            silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, clusterId));
            silo.Configure<SiloOptions>(o => o.SiloName = name);
            silo.ConfigureEndpoints(IPAddress.Loopback, FreePort(), FreePort());
        });
        var host = builder.Build();
        await host.StartAsync(Ct);
        return host;
    }

    private static async Task<IHost> StartClientAsync(string connectionString, string clusterId)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.UseOrleansClient(client =>
        {
            client.UseLoopbackClientAddress();
            client.UseFormationAdoNetClustering(connectionString);
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, clusterId));
        });
        var host = builder.Build();
        await host.StartAsync(Ct);
        return host;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
