using Formation.Grains.Common;
using Formation.Silo.Storage;
using Orleans.Configuration;

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
        silo.AddFormationAdoNetStorage(name, kind, connection, PubSubSerializer(name));
    }

    /// <summary>
    /// Orleans' own stream pub/sub state (producer and consumer handles) is not plain data System.Text.Json can round
    /// trip; it keeps Orleans' default storage serializer. Formation's own grain state is plain JSON.
    /// </summary>
    public static Action<AdoNetGrainStorageOptions>? PubSubSerializer(string name) =>
        name == StorageNames.PubSub ? o => o.GrainStorageSerializer = null! : null;

    public static void AddStateRows(ISiloBuilder silo, SiloConfig config)
    {
        var (kind, connection) = DatabaseOf(config);
        silo.AddFormationStateRows(kind, connection);
    }

    /// <summary>The audit trail of user requests, in the same database as the grain state.</summary>
    public static void AddAudit(ISiloBuilder silo, SiloConfig config)
    {
        var (kind, connection) = DatabaseOf(config);
        Audit.AuditSiloExtensions.AddFormationAudit(silo, kind, connection);
    }

    public static void AddReminders(ISiloBuilder silo, SiloConfig config)
    {
        var (kind, connection) = DatabaseOf(config);
        silo.UseFormationAdoNetReminders(kind, connection);
    }
}
