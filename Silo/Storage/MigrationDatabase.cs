using System.Data.Common;

namespace Formation.Silo.Storage;

/// <summary>The database-specific half of <see cref="SchemaMigrator"/>: one open connection and its dialect.</summary>
internal abstract class MigrationDatabase : IAsyncDisposable
{
    protected const string VersionTable = "formation_schema_version";

    protected MigrationDatabase(DbConnection connection, string description)
    {
        Connection = connection;
        Description = description;
    }

    public DbConnection Connection { get; }

    /// <summary>Where the schema goes, without secrets: "PostgreSQL database 'x' on host:port", "SQLite file '/p'".</summary>
    public string Description { get; }

    protected abstract string CreateVersionTableSql { get; }

    public static async Task<MigrationDatabase> OpenAsync(DatabaseKind kind, string connectionString, CancellationToken cancellationToken) => kind switch
    {
        DatabaseKind.PostgreSql => await PostgresMigrationDatabase.OpenAsync(connectionString, cancellationToken),
        DatabaseKind.Sqlite => await SqliteMigrationDatabase.OpenAsync(connectionString, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown database kind."),
    };

    /// <summary>Keeps other migrators of the same database out until <see cref="DisposeAsync"/>.</summary>
    public abstract Task LockAsync(CancellationToken cancellationToken);

    /// <summary>Starts a transaction that excludes other writers as far as the database allows.</summary>
    public abstract Task<DbTransaction> BeginAsync(CancellationToken cancellationToken);

    public async Task EnsureVersionTableAsync(CancellationToken cancellationToken)
    {
        await using var command = Connection.CreateCommand();
        command.CommandText = CreateVersionTableSql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The checksum recorded when <paramref name="version"/> was applied, or null if it was not.</summary>
    public async Task<string?> GetAppliedChecksumAsync(DbTransaction transaction, int version, CancellationToken cancellationToken)
    {
        await using var command = Connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT checksum FROM {VersionTable} WHERE version = @version";
        AddParameter(command, "version", version);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task ExecuteScriptAsync(DbTransaction transaction, SchemaScript script, CancellationToken cancellationToken)
    {
        await using var command = Connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = script.Sql;
        command.CommandTimeout = 300;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task RecordAsync(DbTransaction transaction, SchemaScript script, CancellationToken cancellationToken)
    {
        await using var command = Connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {VersionTable} (version, name, checksum) VALUES (@version, @name, @checksum)";
        AddParameter(command, "version", script.Version);
        AddParameter(command, "name", script.Name);
        AddParameter(command, "checksum", script.Checksum);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public virtual ValueTask DisposeAsync() => Connection.DisposeAsync();

    protected static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
