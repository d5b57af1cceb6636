using System.Net;
using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.MembershipService;

namespace Formation.Silo.Tests.Storage;

/// <summary>The membership queries, driven through the real provider class without a running cluster.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMembershipTableTests(PostgresServer server)
{
    [Fact]
    public async Task MembershipTable_InsertUpdateAndCleanup_FollowTheVersionProtocol()
    {
        var table = await CreateTableAsync();
        var empty = await table.ReadAllAsync(Ct);
        Assert.Empty(empty.Members);

        var alive = Entry(11111, SiloStatus.Active, DateTime.UtcNow);
        var dead = Entry(22222, SiloStatus.Dead, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.True(await table.InsertRowAsync(alive, empty.Version.Next(), Ct));
        Assert.False(await table.InsertRowAsync(dead, empty.Version.Next(), Ct));
        var afterFirst = await table.ReadAllAsync(Ct);
        Assert.True(await table.InsertRowAsync(dead, afterFirst.Version.Next(), Ct));
        Assert.False(await table.InsertRowAsync(dead, (await table.ReadAllAsync(Ct)).Version.Next(), Ct));

        var current = await table.ReadAllAsync(Ct);
        Assert.Equal(2, current.Members.Count);
        alive.Status = SiloStatus.ShuttingDown;
        alive.SuspectTimes = [Tuple.Create(dead.SiloAddress, new DateTime(2024, 2, 3, 4, 5, 6, DateTimeKind.Utc))];
        Assert.False(await table.UpdateRowAsync(alive, afterFirst.Version.VersionEtag, afterFirst.Version.Next(), Ct));
        Assert.True(await table.UpdateRowAsync(alive, current.Members[0].Item2, current.Version.Next(), Ct));
        var row = await table.ReadRowAsync(alive.SiloAddress, Ct);
        var (read, _) = Assert.Single(row.Members);
        Assert.Equal(SiloStatus.ShuttingDown, read.Status);
        Assert.Equal(dead.SiloAddress, Assert.Single(read.SuspectTimes ?? []).Item1);
        Assert.Equal("host-11111", read.HostName);
        Assert.Equal(current.Version.Version + 1, row.Version.Version);

        var heartbeat = DateTime.UtcNow.AddSeconds(5);
        alive.IAmAliveTime = heartbeat;
        await table.UpdateIAmAliveAsync(alive, Ct);
        Assert.Equal(heartbeat, (await table.ReadRowAsync(alive.SiloAddress, Ct)).Members.Single().Item1.IAmAliveTime, TimeSpan.FromMilliseconds(1));

        await table.CleanupDefunctSiloEntriesAsync(DateTimeOffset.UtcNow.AddDays(-1), Ct);
        var cleaned = await table.ReadAllAsync(Ct);
        Assert.Equal(alive.SiloAddress, Assert.Single(cleaned.Members).Item1.SiloAddress);

        await table.DeleteMembershipTableEntriesAsync(ClusterId, Ct);
        await table.InitializeMembershipTableAsync(true, Ct);
        Assert.Empty((await table.ReadAllAsync(Ct)).Members);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string ClusterId = "membership-contract";

    private async Task<AdoNetClusteringTable> CreateTableAsync()
    {
        var connectionString = await server.CreateDatabaseAsync("membership");
        await SchemaMigrator.ApplyAsync(DatabaseKind.PostgreSql, connectionString, NullLogger.Instance, Ct);
        var table = new AdoNetClusteringTable(
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new ClusterOptions { ClusterId = ClusterId, ServiceId = "svc" }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = "Npgsql", ConnectionString = connectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);
        await table.InitializeMembershipTableAsync(true, Ct);
        return table;
    }

    private static MembershipEntry Entry(int port, SiloStatus status, DateTime times) => new()
    {
        SiloAddress = SiloAddress.New(IPAddress.Loopback, port, 7),
        SiloName = $"silo-{port}",
        HostName = $"host-{port}",
        Status = status,
        ProxyPort = port + 1,
        StartTime = times,
        IAmAliveTime = times,
    };
}
