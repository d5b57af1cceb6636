namespace Formation.Edge;

/// <summary>The edges' reports as <see cref="IEdgeViewsGrain"/> keeps them, and the question a draining service asks of them.</summary>
public sealed class EdgeViews(TimeProvider clock)
{
    /// <summary>
    /// An edge not heard from for this long is left out (its node stopped, or is cut off): edges refresh every second,
    /// and one that cannot reach the cluster to report cannot read the service either — a drain is bounded anyway.
    /// </summary>
    public static readonly TimeSpan Forget = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, (DateTimeOffset HeardAt, IReadOnlyDictionary<string, DateTimeOffset> Services)> _edges = new(StringComparer.Ordinal);

    public void Refreshed(string nodeId, IReadOnlyDictionary<string, DateTimeOffset> services) =>
        _edges[nodeId] = (clock.GetUtcNow(), services);

    public bool AllReadSince(string service, DateTimeOffset since)
    {
        var now = clock.GetUtcNow();
        foreach (var (node, view) in _edges.ToList())
        {
            if (now - view.HeardAt > Forget)
            {
                _edges.Remove(node);
                continue;
            }

            if (view.Services.TryGetValue(service, out var version) && version < since)
            {
                return false;
            }
        }

        return true;
    }
}
