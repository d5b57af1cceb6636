using System.Data.Common;
using Formation.Silo.Storage;

namespace Formation.Silo.Identity;

/// <summary>The cluster's identity rows (<c>formation_cluster_authority</c>, <c>formation_join_tokens</c>; schema 0006).</summary>
public sealed class IdentityStore(DatabaseKind kind, string connectionString, string serviceId, string clusterId)
{
    /// <summary>The cluster's CA record, if a node has made one.</summary>
    public sealed record Authority(string Fingerprint, string HolderNode, string JoinEndpoint);

    public async Task<Authority?> AuthorityAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "SELECT fingerprint, holder_node, join_endpoint FROM formation_cluster_authority WHERE service_id = @service AND cluster_id = @cluster");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new Authority(reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    /// <summary>Records this cluster's CA; false when another CA was recorded first (then that one is the cluster's).</summary>
    public async Task<bool> ClaimAuthorityAsync(Authority authority, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "INSERT INTO formation_cluster_authority (service_id, cluster_id, fingerprint, holder_node, join_endpoint, created_ms) " +
            "VALUES (@service, @cluster, @fingerprint, @holder, @endpoint, @now) ON CONFLICT (service_id, cluster_id) DO NOTHING");
        command.AddParameter("@fingerprint", authority.Fingerprint);
        command.AddParameter("@holder", authority.HolderNode);
        command.AddParameter("@endpoint", authority.JoinEndpoint);
        command.AddParameter("@now", now.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Updates where the CA's holder takes joins (it may restart on another address or port).</summary>
    public async Task UpdateJoinEndpointAsync(string fingerprint, string endpoint, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "UPDATE formation_cluster_authority SET join_endpoint = @endpoint WHERE service_id = @service AND cluster_id = @cluster AND fingerprint = @fingerprint");
        command.AddParameter("@endpoint", endpoint);
        command.AddParameter("@fingerprint", fingerprint);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Stores a new token by the hash of its secret.</summary>
    public async Task AddTokenAsync(string hash, DateTimeOffset now, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection,
            "INSERT INTO formation_join_tokens (service_id, cluster_id, token_hash, created_ms, expires_ms) VALUES (@service, @cluster, @hash, @now, @expires)");
        command.AddParameter("@hash", hash);
        command.AddParameter("@now", now.ToUnixTimeMilliseconds());
        command.AddParameter("@expires", expires.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Uses the token for <paramref name="nodeId"/>, atomically: one UPDATE that matches only an unused, unexpired
    /// token, so of two nodes racing with one token exactly one is accepted. A refusal says why.
    /// </summary>
    public async Task<JoinTokenUse> UseTokenAsync(string hash, string nodeId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var use = Command(connection,
            "UPDATE formation_join_tokens SET used_ms = @now, used_by = @node " +
            "WHERE service_id = @service AND cluster_id = @cluster AND token_hash = @hash AND used_ms IS NULL AND expires_ms > @now"))
        {
            use.AddParameter("@now", now.ToUnixTimeMilliseconds());
            use.AddParameter("@node", nodeId);
            use.AddParameter("@hash", hash);
            if (await use.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return new JoinTokenUse(JoinTokenOutcome.Accepted);
            }
        }

        await using var read = Command(connection,
            "SELECT expires_ms, used_ms, used_by FROM formation_join_tokens WHERE service_id = @service AND cluster_id = @cluster AND token_hash = @hash");
        read.AddParameter("@hash", hash);
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return new JoinTokenUse(JoinTokenOutcome.Unknown);
        }

        return reader.IsDBNull(1)
            ? new JoinTokenUse(JoinTokenOutcome.Expired, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)))
            : new JoinTokenUse(JoinTokenOutcome.Used, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.IsDBNull(2) ? null : reader.GetString(2));
    }

    private Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        SqlConnections.OpenAsync(kind, connectionString, cancellationToken);

    private DbCommand Command(DbConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.AddParameter("@service", serviceId);
        command.AddParameter("@cluster", clusterId);
        return command;
    }
}
