using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;

namespace Formation.Silo.Tests.Storage;

public sealed class SqliteStorageClusterFixture : StorageClusterFixture
{
    private readonly TestDirectory _directory = new();
    private int _count;

    protected override bool IsAvailable => true;

    public override void RequireAvailable()
    {
    }

    public override Task<TestDatabase> CreateDatabaseAsync(string label) =>
        Task.FromResult(new TestDatabase(
            DatabaseKind.Sqlite,
            SqliteConnectionStrings.ForFile(_directory.File($"{Interlocked.Increment(ref _count)}-{label}/formation.db"))));

    protected override void DisposeDatabases() => _directory.Dispose();
}
