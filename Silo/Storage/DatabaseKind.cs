namespace Formation.Silo.Storage;

/// <summary>The relational databases Formation keeps its Orleans state in.</summary>
public enum DatabaseKind
{
    /// <summary>PostgreSQL through Npgsql: cluster mode (clustering, grain state, reminders).</summary>
    PostgreSql,

    /// <summary>A SQLite file through Microsoft.Data.Sqlite: embedded mode (grain state, reminders).</summary>
    Sqlite,
}
