using System.Data.Common;
using Npgsql;

namespace Formation.Silo.Storage;

/// <summary>PostgreSQL: a session advisory lock serializes migrators (several silos starting at once).</summary>
internal sealed class PostgresMigrationDatabase : MigrationDatabase
{
    /// <summary>The advisory lock key: "FORMSCHM" as a 64-bit number, shared by every Formation migrator.</summary>
    private const long AdvisoryLockKey = 0x464F524D5343484D;

    private bool _locked;

    private PostgresMigrationDatabase(NpgsqlConnection connection, string description)
        : base(connection, description)
    {
    }

    protected override string CreateVersionTableSql => $"""
        CREATE TABLE IF NOT EXISTS {VersionTable}
        (
            version    integer     NOT NULL PRIMARY KEY,
            name       text        NOT NULL,
            checksum   text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """;

    public static async Task<MigrationDatabase> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new SchemaMigrationException($"The PostgreSQL connection string is not valid: {e.Message}", e);
        }

        var description = $"PostgreSQL database '{builder.Database ?? builder.Username}' on {builder.Host}:{builder.Port}";
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            await connection.DisposeAsync();
            throw new SchemaMigrationException(
                $"Cannot connect to {description} to apply Formation's schema: {e.Message}. Check that the server runs and the connection string is right.", e);
        }

        return new PostgresMigrationDatabase(connection, description);
    }

    public override async Task LockAsync(CancellationToken cancellationToken)
    {
        await using var command = Connection.CreateCommand();
        command.CommandText = "SELECT pg_advisory_lock(@key)";
        command.CommandTimeout = 0;
        AddParameter(command, "key", AdvisoryLockKey);
        await command.ExecuteNonQueryAsync(cancellationToken);
        _locked = true;
    }

    public override async Task<DbTransaction> BeginAsync(CancellationToken cancellationToken) =>
        await Connection.BeginTransactionAsync(cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        if (_locked && Connection.State == System.Data.ConnectionState.Open)
        {
            try
            {
                await using var command = Connection.CreateCommand();
                command.CommandText = "SELECT pg_advisory_unlock(@key)";
                AddParameter(command, "key", AdvisoryLockKey);
                await command.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // Closing the session below releases the lock anyway.
            }
        }

        await base.DisposeAsync();
    }
}
