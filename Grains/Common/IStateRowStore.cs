namespace Formation.Grains.Common;

/// <summary>
/// Row-per-entry persistence for grains whose state is a large map (the scheduler's reservations, the catalog's VMs):
/// a write touches only the rows that changed, in one transaction, instead of rewriting the whole map.
/// Rows are addressed by (collection, scope, key); values are stored as plain JSON.
/// </summary>
public interface IStateRowStore
{
    /// <summary>Every row of one collection and scope.</summary>
    Task<Dictionary<string, T>> ReadAsync<T>(string collection, string scope, CancellationToken cancellationToken)
        where T : class;

    /// <summary>Upserts rows with a value and deletes rows whose value is null, atomically.</summary>
    Task WriteAsync<T>(string collection, string scope, IReadOnlyList<KeyValuePair<string, T?>> changes, CancellationToken cancellationToken)
        where T : class;
}
