using System.Data.Common;
using System.Text.Json;
using Formation.Grains.Common;

namespace Formation.Silo.Storage.StateRows;

/// <summary>
/// <see cref="IStateRowStore"/> on the table <c>formation_state_rows</c> of PostgreSQL or SQLite (created by the schema
/// scripts). Values are System.Text.Json with the same options as grain state: plain data, no type names.
/// </summary>
public sealed class SqlStateRowStore(DatabaseKind kind, string connectionString, string serviceId) : IStateRowStore
{
    private static readonly JsonSerializerOptions Json = FormationJsonGrainStorageSerializer.CreateDefaultOptions();

    private const string Select =
        "SELECT row_key, payload FROM formation_state_rows WHERE service_id = @service AND collection = @collection AND scope = @scope";

    private const string Upsert =
        "INSERT INTO formation_state_rows (service_id, collection, scope, row_key, payload, updated_at) " +
        "VALUES (@service, @collection, @scope, @key, @payload, CURRENT_TIMESTAMP) " +
        "ON CONFLICT (service_id, collection, scope, row_key) DO UPDATE SET payload = excluded.payload, updated_at = excluded.updated_at";

    private const string Delete =
        "DELETE FROM formation_state_rows WHERE service_id = @service AND collection = @collection AND scope = @scope AND row_key = @key";

    public async Task<Dictionary<string, T>> ReadAsync<T>(string collection, string scope, CancellationToken cancellationToken)
        where T : class
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, null, Select, collection, scope);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new Dictionary<string, T>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = reader.GetString(0);
            var payload = reader.GetString(1);
            rows[key] = JsonSerializer.Deserialize<T>(payload, Json)
                ?? throw new InvalidDataException($"Row {collection}/{scope}/{key} holds null.");
        }

        return rows;
    }

    public async Task WriteAsync<T>(string collection, string scope, IReadOnlyList<KeyValuePair<string, T?>> changes, CancellationToken cancellationToken)
        where T : class
    {
        if (changes.Count == 0)
        {
            return;
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var upsert = Command(connection, transaction, Upsert, collection, scope);
        var upsertKey = upsert.AddParameter("@key", "");
        var payload = upsert.AddParameter("@payload", "");
        await using var delete = Command(connection, transaction, Delete, collection, scope);
        var deleteKey = delete.AddParameter("@key", "");
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                deleteKey.Value = key;
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }
            else
            {
                upsertKey.Value = key;
                payload.Value = JsonSerializer.Serialize(value, Json);
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        SqlConnections.OpenAsync(kind, connectionString, cancellationToken);

    private DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, string collection, string scope)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.AddParameter("@service", serviceId);
        command.AddParameter("@collection", collection);
        command.AddParameter("@scope", scope);
        return command;
    }
}
