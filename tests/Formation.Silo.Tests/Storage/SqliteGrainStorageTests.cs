namespace Formation.Silo.Tests.Storage;

public sealed class SqliteGrainStorageTests(SqliteStorageClusterFixture fixture)
    : GrainStorageTests(fixture), IClassFixture<SqliteStorageClusterFixture>;
