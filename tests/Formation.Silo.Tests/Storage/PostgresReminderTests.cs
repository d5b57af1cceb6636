using Formation.Silo.Tests.Infrastructure;

namespace Formation.Silo.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class PostgresReminderTests(PostgresStorageClusterFixture fixture)
    : ReminderTests(fixture), IClassFixture<PostgresStorageClusterFixture>;
