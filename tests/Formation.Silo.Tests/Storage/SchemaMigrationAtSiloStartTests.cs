using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;

namespace Formation.Silo.Tests.Storage;

/// <summary>The silo applies the schema itself when it starts, and refuses to start when it cannot.</summary>
public sealed class SchemaMigrationAtSiloStartTests : IDisposable
{
    private readonly TestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task SiloStart_NewSqliteFile_AppliesTheSchemaBeforeStorageStarts()
    {
        var db = new TestDatabase(DatabaseKind.Sqlite, SqliteConnectionStrings.ForFile(_directory.File("fresh/formation.db")));

        await using var cluster = await StorageTestCluster.StartAsync(db, "fresh");

        Assert.Equal((long)SchemaScript.For(DatabaseKind.Sqlite).Count, await db.ScalarAsync("SELECT count(*) FROM formation_schema_version"));
    }

    [Fact]
    public async Task SiloStart_DatabaseCannotBeCreated_FailsWithTheMigrationError()
    {
        var blocker = _directory.File("not-a-directory");
        await File.WriteAllTextAsync(blocker, "x", TestContext.Current.CancellationToken);
        var db = new TestDatabase(DatabaseKind.Sqlite, SqliteConnectionStrings.ForFile(Path.Combine(blocker, "formation.db")));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => StorageTestCluster.StartAsync(db, "blocked"));

        var migration = FindInChain<SchemaMigrationException>(error);
        Assert.NotNull(migration);
        Assert.Contains(blocker, migration.Message);
    }

    private static T? FindInChain<T>(Exception? error)
        where T : Exception
    {
        for (; error is not null; error = error.InnerException)
        {
            if (error is T found)
            {
                return found;
            }

            if (error is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (FindInChain<T>(inner) is { } nested)
                    {
                        return nested;
                    }
                }
            }
        }

        return null;
    }
}
