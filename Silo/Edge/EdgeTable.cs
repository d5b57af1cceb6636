using System.Collections.Concurrent;
using Formation.Edge;

namespace Formation.Silo.Edge;

/// <summary>One route as the proxy uses it: where requests for its host may go now.</summary>
public sealed class EdgeBackends(EdgeRoute route, IReadOnlyList<string> destinations)
{
    private int _next = -1;

    public EdgeRoute Route { get; } = route;

    /// <summary>Base URIs (<c>http://address:port/</c>) of the serving replicas.</summary>
    public IReadOnlyList<string> Destinations { get; } = destinations;

    /// <summary>Round robin: the index to start from for the next request.</summary>
    public int NextStart() => Destinations.Count == 0 ? 0 : (int)((uint)Interlocked.Increment(ref _next) % (uint)Destinations.Count);
}

/// <summary>
/// The proxy's routing table: host → backends, swapped as a whole by the feeder (readers never see a half-made table,
/// and requests in flight keep the backends they took), plus the passive health record of each destination.
/// </summary>
public sealed class EdgeTable(TimeProvider clock)
{
    private volatile IReadOnlyDictionary<string, EdgeBackends> _routes = new Dictionary<string, EdgeBackends>();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _failedUntil = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, EdgeBackends> Routes => _routes;

    public bool TryGet(string host, out EdgeBackends backends) => _routes.TryGetValue(host, out backends!);

    /// <summary>Replaces the table, keeping each unchanged route's round-robin position.</summary>
    public void Replace(IEnumerable<(EdgeRoute Route, IReadOnlyList<string> Destinations)> routes)
    {
        var old = _routes;
        var next = new Dictionary<string, EdgeBackends>(StringComparer.Ordinal);
        foreach (var (route, destinations) in routes)
        {
            next[route.Host] = old.TryGetValue(route.Host, out var same) && same.Route == route && same.Destinations.SequenceEqual(destinations)
                ? same
                : new EdgeBackends(route, destinations);
        }

        _routes = next;
        foreach (var key in _failedUntil.Keys)
        {
            if (_failedUntil.TryGetValue(key, out var until) && until < clock.GetUtcNow())
            {
                _failedUntil.TryRemove(key, out _);
            }
        }
    }

    /// <summary>Passive health: a destination that failed a connection is skipped for <paramref name="penalty"/>.</summary>
    public void MarkFailed(string destination, TimeSpan penalty) => _failedUntil[destination] = clock.GetUtcNow() + penalty;

    public bool IsHealthy(string destination) =>
        !_failedUntil.TryGetValue(destination, out var until) || until <= clock.GetUtcNow();
}
