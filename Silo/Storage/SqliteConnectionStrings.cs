using Microsoft.Data.Sqlite;

namespace Formation.Silo.Storage;

/// <summary>Connection strings for Formation's SQLite file (embedded mode).</summary>
public static class SqliteConnectionStrings
{
    /// <summary>
    /// The connection string for the database file at <paramref name="path"/>: created if missing,
    /// pooled, and waiting up to 30 s for a busy file (Microsoft.Data.Sqlite retries a locked
    /// statement until the command timeout) instead of failing with "database is locked".
    /// </summary>
    public static string ForFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(path),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }
}
