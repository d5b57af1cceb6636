using Formation.Silo.Storage;
using Formation.Silo.Tests.Infrastructure;

namespace Formation.Silo.Tests.Storage;

public sealed class PostgresStorageClusterFixture(PostgresServer server) : StorageClusterFixture
{
    protected override bool IsAvailable => server.UnavailableReason is null;

    public override void RequireAvailable() => server.RequireAvailable();

    public override async Task<TestDatabase> CreateDatabaseAsync(string label) =>
        new(DatabaseKind.PostgreSql, await server.CreateDatabaseAsync(label));
}
