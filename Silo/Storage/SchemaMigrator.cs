using System.Data.Common;

namespace Formation.Silo.Storage;

/// <summary>
/// Applies Formation's embedded schema scripts (Storage/Sql/&lt;database&gt;/NNNN-name.sql) to a
/// database: each missing version in order, each inside its own transaction, recording applied
/// versions in <c>formation_schema_version</c>. Running it again is a no-op; silos that start at
/// the same time take turns (a PostgreSQL advisory lock, SQLite immediate transactions).
/// </summary>
public static partial class SchemaMigrator
{
    /// <summary>Brings the schema of the database at <paramref name="connectionString"/> up to date.</summary>
    /// <exception cref="SchemaMigrationException">The database cannot be reached or a script failed; the message says which and why.</exception>
    public static Task ApplyAsync(DatabaseKind kind, string connectionString, ILogger logger, CancellationToken cancellationToken = default) =>
        ApplyAsync(kind, connectionString, SchemaScript.For(kind), logger, cancellationToken);

    internal static async Task ApplyAsync(
        DatabaseKind kind,
        string connectionString,
        IReadOnlyList<SchemaScript> scripts,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(logger);

        await using var database = await MigrationDatabase.OpenAsync(kind, connectionString, cancellationToken);
        try
        {
            await database.LockAsync(cancellationToken);
            await database.EnsureVersionTableAsync(cancellationToken);
        }
        catch (DbException e)
        {
            throw new SchemaMigrationException($"Cannot prepare {database.Description} for schema scripts: {e.Message}", e);
        }

        var applied = 0;
        foreach (var script in scripts)
        {
            if (await ApplyOneAsync(database, script, logger, cancellationToken))
            {
                applied++;
            }
        }

        LogSchemaCurrent(logger, database.Description, scripts[^1].Version, applied);
    }

    private static async Task<bool> ApplyOneAsync(MigrationDatabase database, SchemaScript script, ILogger logger, CancellationToken cancellationToken)
    {
        await using var transaction = await BeginAsync(database, script, cancellationToken);
        try
        {
            var checksum = await database.GetAppliedChecksumAsync(transaction, script.Version, cancellationToken);
            if (checksum is not null)
            {
                if (!string.Equals(checksum, script.Checksum, StringComparison.Ordinal))
                {
                    LogChangedScript(logger, script.Name, database.Description);
                }

                await transaction.CommitAsync(cancellationToken);
                return false;
            }

            await database.ExecuteScriptAsync(transaction, script, cancellationToken);
            await database.RecordAsync(transaction, script, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbException e)
        {
            await RollbackQuietlyAsync(transaction);
            throw new SchemaMigrationException(
                $"Schema script {script.Name} failed on {database.Description}; nothing of it was applied. The database said: {e.Message}", e);
        }

        LogApplied(logger, script.Name, database.Description);
        return true;
    }

    private static async Task<DbTransaction> BeginAsync(MigrationDatabase database, SchemaScript script, CancellationToken cancellationToken)
    {
        try
        {
            return await database.BeginAsync(cancellationToken);
        }
        catch (DbException e)
        {
            throw new SchemaMigrationException(
                $"Cannot start a transaction for schema script {script.Name} on {database.Description}: {e.Message}", e);
        }
    }

    private static async Task RollbackQuietlyAsync(DbTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            // The connection is disposed next; the database drops the transaction with it.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema script {Script} to {Database}")]
    private static partial void LogApplied(ILogger logger, string script, string database);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Schema script {Script} changed after it was applied to {Database}; it is not run again. Put schema changes into a new NNNN-*.sql script")]
    private static partial void LogChangedScript(ILogger logger, string script, string database);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema of {Database} is at version {Version} ({Applied} script(s) applied now)")]
    private static partial void LogSchemaCurrent(ILogger logger, string database, int version, int applied);
}
