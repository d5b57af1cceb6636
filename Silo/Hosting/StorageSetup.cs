using Formation.Silo.Storage;

namespace Formation.Silo.Hosting;

/// <summary>Where grain state, membership and reminders live, by mode: SQLite in the data directory, or PostgreSQL.</summary>
public static class StorageSetup
{
    public static (DatabaseKind Kind, string ConnectionString) DatabaseOf(SiloConfig config) =>
        config.Mode == FormationMode.Embedded
            ? (DatabaseKind.Sqlite, SqliteConnectionStrings.ForFile(config.SqlitePath))
            : (DatabaseKind.PostgreSql, config.Postgres!);

    public static void AddClustering(ISiloBuilder silo, SiloConfig config) => silo.UseFormationAdoNetClustering(config.Postgres!);

    public static void AddGrainStorage(ISiloBuilder silo, SiloConfig config, string name)
    {
        var (kind, connection) = DatabaseOf(config);
        silo.AddFormationAdoNetStorage(name, kind, connection);
    }

    public static void AddReminders(ISiloBuilder silo, SiloConfig config)
    {
        var (kind, connection) = DatabaseOf(config);
        silo.UseFormationAdoNetReminders(kind, connection);
    }
}
