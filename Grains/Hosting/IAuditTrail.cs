using Formation.Audit;

namespace Formation.Grains.Hosting;

/// <summary>The audit rows in the cluster's storage, as the silo reads them (SQLite in embedded mode, PostgreSQL in cluster mode).</summary>
public interface IAuditTrail
{
    /// <summary>The rows <paramref name="query"/> selects, oldest first; its limit is already within bounds.</summary>
    Task<IReadOnlyList<AuditEntry>> ReadAsync(AuditQuery query, CancellationToken cancellationToken);
}
