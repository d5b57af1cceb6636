using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Formation.Silo.Storage;

/// <summary>
/// SQLite: creates the file (and its directory) if missing, switches it to WAL so readers and one
/// writer do not block each other, and migrates inside BEGIN IMMEDIATE transactions so that two
/// migrators of the same file take turns.
/// </summary>
internal sealed class SqliteMigrationDatabase : MigrationDatabase
{
    private const int BusyTimeoutMilliseconds = 30_000;

    private SqliteMigrationDatabase(SqliteConnection connection, string description)
        : base(connection, description)
    {
    }

    protected override string CreateVersionTableSql => $"""
        CREATE TABLE IF NOT EXISTS {VersionTable}
        (
            version    INTEGER NOT NULL PRIMARY KEY,
            name       TEXT    NOT NULL,
            checksum   TEXT    NOT NULL,
            applied_at TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP
        )
        """;

    public static async Task<MigrationDatabase> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = new SqliteConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new SchemaMigrationException($"The SQLite connection string is not valid: {e.Message}", e);
        }

        if (string.IsNullOrWhiteSpace(builder.DataSource))
        {
            throw new SchemaMigrationException("The SQLite connection string names no file: set 'Data Source=/path/to/formation.db'.");
        }

        var inMemory = builder.Mode == SqliteOpenMode.Memory || builder.DataSource == ":memory:";
        var description = inMemory ? $"SQLite in-memory database '{builder.DataSource}'" : $"SQLite file '{Path.GetFullPath(builder.DataSource)}'";
        if (!inMemory)
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            try
            {
                if (directory is not null)
                {
                    Directory.CreateDirectory(directory);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SchemaMigrationException($"Cannot create the directory '{directory}' for {description}: {e.Message}", e);
            }
        }

        var connection = new SqliteConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds};";
            await command.ExecuteNonQueryAsync(cancellationToken);
            if (!inMemory)
            {
                // WAL is a property of the file: set once here, every later connection uses it.
                command.CommandText = "PRAGMA journal_mode = WAL;";
                var mode = await command.ExecuteScalarAsync(cancellationToken) as string;
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new SchemaMigrationException($"{description} refused write-ahead logging (journal mode stays '{mode}'); use a local file system.");
                }
            }
        }
        catch (SqliteException e)
        {
            await connection.DisposeAsync();
            throw new SchemaMigrationException($"Cannot open {description}: {e.Message}", e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return new SqliteMigrationDatabase(connection, description);
    }

    public override Task LockAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override Task<DbTransaction> BeginAsync(CancellationToken cancellationToken) =>
        Task.FromResult<DbTransaction>(((SqliteConnection)Connection).BeginTransaction(deferred: false));
}
