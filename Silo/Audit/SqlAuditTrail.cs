using System.Data.Common;
using System.Text;
using Formation.Audit;
using Formation.Grains.Hosting;
using Formation.Silo.Storage;

namespace Formation.Silo.Audit;

/// <summary>
/// The table <c>formation_audit</c> (schema 0007 on PostgreSQL, 0006 on SQLite): batches of rows in, queries for
/// <c>form audit</c> out, and the retention that keeps it bounded. Rows are scoped by the cluster's service id.
/// </summary>
public sealed class SqlAuditTrail(DatabaseKind kind, string connectionString, string serviceId) : IAuditTrail
{
    /// <summary>
    /// On PostgreSQL a follower reads only rows at least this old: identity values are taken at insert and committed later,
    /// so a fresh row with a lower id than one already seen may still appear. SQLite has one writer at a time.
    /// </summary>
    public static readonly TimeSpan FollowSettle = TimeSpan.FromSeconds(2);

    private const string Columns = "id, at_ms, account, action, target, arguments, result, error, duration_ms, node";

    private const string Insert =
        "INSERT INTO formation_audit (service_id, at_ms, account, action, target, arguments, result, error, duration_ms, node) " +
        "VALUES (@service, @at, @account, @action, @target, @arguments, @result, @error, @duration, @node)";

    public async Task<IReadOnlyList<AuditEntry>> ReadAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await SqlConnections.OpenAsync(kind, connectionString, cancellationToken);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT {Columns} FROM formation_audit WHERE service_id = @service");
        command.AddParameter("@service", serviceId);
        if (query.Account is { } account)
        {
            sql.Append(" AND account = @account");
            command.AddParameter("@account", account);
        }

        if (query.Since is { } since)
        {
            sql.Append(" AND at_ms >= @since");
            command.AddParameter("@since", since.ToUnixTimeMilliseconds());
        }

        var following = query.AfterId is not null;
        if (query.AfterId is { } after)
        {
            sql.Append(" AND id > @after");
            command.AddParameter("@after", after);
            if (kind == DatabaseKind.PostgreSql)
            {
                sql.Append($" AND recorded_at <= now() - interval '{(int)FollowSettle.TotalSeconds} seconds'");
            }
        }

        // Following reads forward from a cursor; otherwise the newest rows, turned oldest first below.
        sql.Append(following ? " ORDER BY id ASC" : " ORDER BY id DESC").Append(" LIMIT @limit");
        command.AddParameter("@limit", query.Limit);
        command.CommandText = sql.ToString();
        var rows = new List<AuditEntry>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(Read(reader));
            }
        }

        if (!following)
        {
            rows.Reverse();
        }

        return rows;
    }

    /// <summary>Writes <paramref name="entries"/> in one transaction (their ids are the database's).</summary>
    public async Task WriteAsync(IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        await using var connection = await SqlConnections.OpenAsync(kind, connectionString, cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = Insert;
        command.AddParameter("@service", serviceId);
        var at = command.AddParameter("@at", 0L);
        var account = command.AddParameter("@account", "");
        var action = command.AddParameter("@action", "");
        var target = command.AddParameter("@target", "");
        var arguments = command.AddParameter("@arguments", "");
        var result = command.AddParameter("@result", "");
        var error = command.AddParameter("@error", DBNull.Value);
        var duration = command.AddParameter("@duration", 0L);
        var node = command.AddParameter("@node", "");
        foreach (var entry in entries)
        {
            at.Value = entry.At.ToUnixTimeMilliseconds();
            account.Value = entry.Account;
            action.Value = entry.Action;
            target.Value = entry.Target;
            arguments.Value = entry.Arguments;
            result.Value = entry.Result;
            error.Value = (object?)entry.Error ?? DBNull.Value;
            duration.Value = entry.DurationMs;
            node.Value = entry.Node;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Deletes rows made before <paramref name="before"/> and all but the newest <paramref name="keepRows"/>; returns how many went.</summary>
    public async Task<int> TrimAsync(DateTimeOffset before, long keepRows, CancellationToken cancellationToken)
    {
        await using var connection = await SqlConnections.OpenAsync(kind, connectionString, cancellationToken);
        await using var command = connection.CreateCommand();
        // The sub-query is the id of the newest row beyond the kept ones; NULL (nothing to cut) compares false.
        command.CommandText =
            "DELETE FROM formation_audit WHERE service_id = @service AND (at_ms < @before OR id <= " +
            "(SELECT id FROM formation_audit WHERE service_id = @service ORDER BY id DESC LIMIT 1 OFFSET @keep))";
        command.AddParameter("@service", serviceId);
        command.AddParameter("@before", before.ToUnixTimeMilliseconds());
        command.AddParameter("@keep", keepRows);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static AuditEntry Read(DbDataReader reader) => new(
        reader.GetInt64(0),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.GetInt64(8),
        reader.GetString(9));
}
