namespace Formation.Silo.Tests.Storage;

public sealed class SqliteReminderTests(SqliteStorageClusterFixture fixture)
    : ReminderTests(fixture), IClassFixture<SqliteStorageClusterFixture>;
