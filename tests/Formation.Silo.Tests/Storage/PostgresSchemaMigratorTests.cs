using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class PostgresSchemaMigratorTests(PostgresServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ApplyAsync_EmptyDatabase_RegistersEveryQueryTheProvidersRequire()
    {
        var db = new TestDatabase(DatabaseKind.PostgreSql, await server.CreateDatabaseAsync(nameof(PostgresSchemaMigratorTests)));

        await SchemaMigrator.ApplyAsync(DatabaseKind.PostgreSql, db.ConnectionString, NullLogger.Instance, Ct);

        var keys = (await db.RowsAsync("SELECT QueryKey FROM OrleansQuery")).Select(r => (string)r[0]!).ToHashSet();
        Assert.All(ProviderQueryKeys.Clustering.Concat(ProviderQueryKeys.Reminders).Concat(ProviderQueryKeys.Persistence), key => Assert.Contains(key, keys));
        var versions = (await db.RowsAsync("SELECT version FROM formation_schema_version ORDER BY version")).Select(r => (int)r[0]!);
        Assert.Equal(SchemaScript.For(DatabaseKind.PostgreSql).Select(s => s.Version), versions);
    }

    [Fact]
    public async Task ApplyAsync_SecondRun_ChangesNothing()
    {
        var db = new TestDatabase(DatabaseKind.PostgreSql, await server.CreateDatabaseAsync("rerun"));
        await SchemaMigrator.ApplyAsync(DatabaseKind.PostgreSql, db.ConnectionString, NullLogger.Instance, Ct);
        await db.ExecuteAsync("INSERT INTO orleans_membership_version (deployment_id, version) VALUES ('kept', 7)");
        var before = await db.RowsAsync("SELECT version, applied_at FROM formation_schema_version ORDER BY version");

        await SchemaMigrator.ApplyAsync(DatabaseKind.PostgreSql, db.ConnectionString, NullLogger.Instance, Ct);

        var after = await db.RowsAsync("SELECT version, applied_at FROM formation_schema_version ORDER BY version");
        Assert.Equal(before.Select(r => (r[0], r[1])), after.Select(r => (r[0], r[1])));
        Assert.Equal(7, await db.ScalarAsync("SELECT version FROM orleans_membership_version WHERE deployment_id = 'kept'"));
    }

    [Fact]
    public async Task ApplyAsync_ManyMigratorsAtOnce_AllSucceedAndEachScriptRunsOnce()
    {
        var db = new TestDatabase(DatabaseKind.PostgreSql, await server.CreateDatabaseAsync("concurrent"));

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Task.Run(() => SchemaMigrator.ApplyAsync(DatabaseKind.PostgreSql, db.ConnectionString, NullLogger.Instance, Ct), Ct)));

        var scripts = SchemaScript.For(DatabaseKind.PostgreSql);
        Assert.Equal((long)scripts.Count, await db.ScalarAsync("SELECT count(*) FROM formation_schema_version"));
        Assert.Equal(
            (long)(ProviderQueryKeys.Clustering.Count + ProviderQueryKeys.Reminders.Count + ProviderQueryKeys.Persistence.Count),
            await db.ScalarAsync("SELECT count(*) FROM OrleansQuery"));
    }

    [Fact]
    public async Task ApplyAsync_FailingScript_NamesScriptAndServerErrorAndKeepsNothingOfIt()
    {
        var db = new TestDatabase(DatabaseKind.PostgreSql, await server.CreateDatabaseAsync("failing"));
        SchemaScript[] scripts =
        [
            new(1, "0001-good.sql", "CREATE TABLE good (id int);", "a"),
            new(2, "0002-broken.sql", "CREATE TABLE half (id int);\nSELEC 1;", "b"),
        ];

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() =>
            SchemaMigrator.ApplyAsync(DatabaseKind.PostgreSql, db.ConnectionString, scripts, NullLogger.Instance, Ct));

        Assert.Contains("0002-broken.sql", error.Message);
        Assert.Contains("syntax error", error.Message);
        Assert.Null(await db.ScalarAsync("SELECT to_regclass('half')::text"));
        Assert.Equal("good", await db.ScalarAsync("SELECT to_regclass('good')::text"));
        Assert.Equal(1L, await db.ScalarAsync("SELECT count(*) FROM formation_schema_version"));
    }

    [Fact]
    public async Task ApplyAsync_NoServerListening_SaysItCannotConnect()
    {
        server.RequireAvailable();
        var unreachable = server.ConnectionStringFor("postgres").Replace($"Port={server.Port}", "Port=1", StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() =>
            SchemaMigrator.ApplyAsync(DatabaseKind.PostgreSql, unreachable, NullLogger.Instance, Ct));

        Assert.Contains("Cannot connect to PostgreSQL database 'postgres' on 127.0.0.1:1", error.Message);
    }
}
