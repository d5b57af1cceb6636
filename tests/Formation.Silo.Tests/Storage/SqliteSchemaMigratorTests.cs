using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.Silo.Tests.Storage;

public sealed class SqliteSchemaMigratorTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ApplyAsync_MissingFileAndDirectory_CreatesThemInWalModeWithEveryQuery()
    {
        var path = _directory.File("nested/dir/formation.db");
        var db = new TestDatabase(DatabaseKind.Sqlite, SqliteConnectionStrings.ForFile(path));

        await SchemaMigrator.ApplyAsync(DatabaseKind.Sqlite, db.ConnectionString, NullLogger.Instance, Ct);

        Assert.True(File.Exists(path));
        Assert.Equal("wal", await db.ScalarAsync("PRAGMA journal_mode"));
        var keys = (await db.RowsAsync("SELECT QueryKey FROM OrleansQuery")).Select(r => (string)r[0]!).ToHashSet();
        Assert.All(ProviderQueryKeys.Reminders.Concat(ProviderQueryKeys.Persistence), key => Assert.Contains(key, keys));
        var versions = (await db.RowsAsync("SELECT version FROM formation_schema_version ORDER BY version")).Select(r => (long)r[0]!);
        Assert.Equal(SchemaScript.For(DatabaseKind.Sqlite).Select(s => (long)s.Version), versions);
    }

    [Fact]
    public async Task ApplyAsync_SecondRun_ChangesNothing()
    {
        var db = new TestDatabase(DatabaseKind.Sqlite, SqliteConnectionStrings.ForFile(_directory.File("rerun.db")));
        await SchemaMigrator.ApplyAsync(DatabaseKind.Sqlite, db.ConnectionString, NullLogger.Instance, Ct);
        await db.ExecuteAsync("INSERT INTO orleans_reminders VALUES ('s', 'g', 'r', '2024-01-01 00:00:00', 60000, 5, 3)");
        var before = await db.RowsAsync("SELECT version, applied_at FROM formation_schema_version ORDER BY version");

        await SchemaMigrator.ApplyAsync(DatabaseKind.Sqlite, db.ConnectionString, NullLogger.Instance, Ct);

        var after = await db.RowsAsync("SELECT version, applied_at FROM formation_schema_version ORDER BY version");
        Assert.Equal(before.Select(r => (r[0], r[1])), after.Select(r => (r[0], r[1])));
        Assert.Equal(1L, await db.ScalarAsync("SELECT count(*) FROM orleans_reminders"));
    }

    [Fact]
    public async Task ApplyAsync_ManyMigratorsAtOnce_AllSucceedAndEachScriptRunsOnce()
    {
        var db = new TestDatabase(DatabaseKind.Sqlite, SqliteConnectionStrings.ForFile(_directory.File("concurrent.db")));

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Task.Run(() => SchemaMigrator.ApplyAsync(DatabaseKind.Sqlite, db.ConnectionString, NullLogger.Instance, Ct), Ct)));

        Assert.Equal((long)SchemaScript.For(DatabaseKind.Sqlite).Count, await db.ScalarAsync("SELECT count(*) FROM formation_schema_version"));
    }

    [Fact]
    public async Task ApplyAsync_FailingScript_NamesScriptAndSqliteErrorAndKeepsNothingOfIt()
    {
        var db = new TestDatabase(DatabaseKind.Sqlite, SqliteConnectionStrings.ForFile(_directory.File("failing.db")));
        SchemaScript[] scripts =
        [
            new(1, "0001-good.sql", "CREATE TABLE good (id INTEGER);", "a"),
            new(2, "0002-broken.sql", "CREATE TABLE half (id INTEGER);\nSELEC 1;", "b"),
        ];

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() =>
            SchemaMigrator.ApplyAsync(DatabaseKind.Sqlite, db.ConnectionString, scripts, NullLogger.Instance, Ct));

        Assert.Contains("0002-broken.sql", error.Message);
        Assert.Contains("syntax error", error.Message);
        Assert.Equal(0L, await db.ScalarAsync("SELECT count(*) FROM sqlite_master WHERE name = 'half'"));
        Assert.Equal(1L, await db.ScalarAsync("SELECT count(*) FROM sqlite_master WHERE name = 'good'"));
        Assert.Equal(1L, await db.ScalarAsync("SELECT count(*) FROM formation_schema_version"));
    }

    [Fact]
    public async Task ApplyAsync_DirectoryCannotBeCreated_SaysWhichDirectory()
    {
        var blocker = _directory.File("a-file");
        await File.WriteAllTextAsync(blocker, "not a directory", Ct);

        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() =>
            SchemaMigrator.ApplyAsync(DatabaseKind.Sqlite, SqliteConnectionStrings.ForFile(Path.Combine(blocker, "x.db")), NullLogger.Instance, Ct));

        Assert.Contains(blocker, error.Message);
    }

    [Fact]
    public void Load_ScriptNamedWithoutVersion_IsRefusedWithTheExpectedPattern()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SchemaScript.ParseVersion("clustering.sql"));

        Assert.Contains("NNNN-description.sql", error.Message);
    }
}
