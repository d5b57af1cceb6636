using Formation.Nodes;
using Formation.Silo.Storage;
using Formation.Silo.Storage.StateRows;
using Formation.Silo.Tests.Infrastructure;
using Formation.Vms;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Storage;

/// <summary>The row-per-entry store behind the scheduler and catalog, on real SQLite and PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class StateRowStoreTests(PostgresServer postgres) : IDisposable
{
    private readonly TestDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task WriteThenRead_UpsertsAndDeletesOnlyTheChangedRows(DatabaseKind kind)
    {
        var store = await CreateAsync(kind, "rows_roundtrip");
        var a = Summary("vm-a", VmState.Running);
        var b = Summary("vm-b", VmState.Stopped);

        await store.WriteAsync<VmSummary>("vms", "cluster", [new("vm-a", a), new("vm-b", b)], Ct);
        await store.WriteAsync<VmSummary>("vms", "cluster", [new("vm-a", a with { State = VmState.Paused }), new("vm-b", null)], Ct);
        await store.WriteAsync<VmSummary>("vms", "other", [new("vm-c", Summary("vm-c", VmState.Failed))], Ct);

        var rows = await store.ReadAsync<VmSummary>("vms", "cluster", Ct);
        Assert.Equal(["vm-a"], rows.Keys);
        Assert.Equal(a with { State = VmState.Paused }, rows["vm-a"]);
        Assert.Single(await store.ReadAsync<VmSummary>("vms", "other", Ct));
        Assert.Empty(await store.ReadAsync<VmSummary>("nodes", "cluster", Ct));
    }

    [Theory]
    [InlineData(DatabaseKind.Sqlite)]
    [InlineData(DatabaseKind.PostgreSql)]
    public async Task Write_ManyRowsInOneBatch_AllLand(DatabaseKind kind)
    {
        var store = await CreateAsync(kind, "rows_batch");
        var batch = Enumerable.Range(0, 500)
            .Select(i => new KeyValuePair<string, Grains.Scheduling.Reservation?>($"vm-{i}", new($"node-{i % 7}", new NodeCapacity(1, 256, 1))))
            .ToList();

        await store.WriteAsync("reservations", "cluster", batch, Ct);

        var rows = await store.ReadAsync<Grains.Scheduling.Reservation>("reservations", "cluster", Ct);
        Assert.Equal(500, rows.Count);
        Assert.Equal(new NodeCapacity(1, 256, 1), rows["vm-499"].Resources);
    }

    private async Task<SqlStateRowStore> CreateAsync(DatabaseKind kind, string label)
    {
        string connection;
        if (kind == DatabaseKind.Sqlite)
        {
            connection = SqliteConnectionStrings.ForFile(_directory.File(label + ".db"));
        }
        else
        {
            postgres.RequireAvailable();
            connection = await postgres.CreateDatabaseAsync(label);
        }

        await SchemaMigrator.ApplyAsync(kind, connection, NullLogger.Instance, Ct);
        return new SqlStateRowStore(kind, connection, "test-service");
    }

    private static VmSummary Summary(string id, VmState state) =>
        new(id, id.Replace("vm-", "name-"), "node-1", state, 2, 512, 3, "img:1", "10.0.0.2", DateTimeOffset.UnixEpoch.AddDays(1));
}
