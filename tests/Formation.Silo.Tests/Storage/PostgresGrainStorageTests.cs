using Formation.Silo.Tests.Infrastructure;

namespace Formation.Silo.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class PostgresGrainStorageTests(PostgresStorageClusterFixture fixture)
    : GrainStorageTests(fixture), IClassFixture<PostgresStorageClusterFixture>;
