using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
using Formation.Edge;

namespace Formation.Silo.Edge;

/// <summary>Where a route's traffic may go now: its serving replicas, its balancing policy and its round-robin position.</summary>
public abstract class EdgePool(IReadOnlyList<string> destinations, EdgeBalance balance)
{
    private int _next = -1;

    /// <summary>The serving replicas: base URIs (<c>http://address:port/</c>) for HTTP routes, <c>address:port</c> for TCP ones.</summary>
    public IReadOnlyList<string> Destinations { get; } = destinations;

    public EdgeBalance Balance { get; } = balance;

    /// <summary>Round robin: the index to start from for the next request.</summary>
    public int NextStart() => Destinations.Count == 0 ? 0 : (int)((uint)Interlocked.Increment(ref _next) % (uint)Destinations.Count);
}

/// <summary>An HTTP route's pool.</summary>
public sealed class EdgeBackends(EdgeRoute route, IReadOnlyList<string> destinations) : EdgePool(destinations, route.Balance)
{
    public EdgeRoute Route { get; } = route;
}

/// <summary>A TCP route's pool.</summary>
public sealed class EdgeTcpBackends(EdgeTcpRoute route, IReadOnlyList<string> destinations) : EdgePool(destinations, route.Balance)
{
    public EdgeTcpRoute Route { get; } = route;
}

/// <summary>
/// The proxy's routing table: host → backends and TCP listen port → backends, each swapped as a whole by the feeder
/// (readers never see a half-made table, and requests in flight keep the backends they took), plus the passive health
/// record and the in-flight count of each destination.
/// </summary>
public sealed class EdgeTable(TimeProvider clock)
{
    private volatile IReadOnlyDictionary<string, EdgeBackends> _routes = new Dictionary<string, EdgeBackends>();
    private volatile IReadOnlyDictionary<int, EdgeTcpBackends> _tcp = new Dictionary<int, EdgeTcpBackends>();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _failedUntil = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InFlight> _inFlight = new(StringComparer.Ordinal);

    private volatile IReadOnlyDictionary<string, X509Certificate2> _certificates = new Dictionary<string, X509Certificate2>();

    public IReadOnlyDictionary<string, EdgeBackends> Routes => _routes;

    public IReadOnlyDictionary<int, EdgeTcpBackends> TcpRoutes => _tcp;

    /// <summary>Raised after each <see cref="ReplaceTcp"/> (the TCP proxy opens and closes its listeners to match).</summary>
    public event Action? TcpRoutesReplaced;

    /// <summary>The certificate to present for a TLS client hello naming <paramref name="serverName"/> (SNI), or null.</summary>
    public X509Certificate2? CertificateFor(string? serverName) =>
        serverName is not null && _certificates.TryGetValue(serverName.TrimEnd('.').ToLowerInvariant(), out var cert) ? cert : null;

    /// <summary>Replaces the certificates, reusing the loaded ones whose PEM did not change.</summary>
    public void ReplaceCertificates(IReadOnlyList<EdgeCertificate> certificates, Action<string, Exception> onUnusable)
    {
        var old = _certificates;
        var next = new Dictionary<string, X509Certificate2>(StringComparer.Ordinal);
        foreach (var c in certificates)
        {
            if (old.TryGetValue(c.Host, out var loaded) && _pem.TryGetValue(c.Host, out var pem) && pem == c.CertificatePem)
            {
                next[c.Host] = loaded;
                continue;
            }

            try
            {
                next[c.Host] = X509Certificate2.CreateFromPem(c.CertificatePem, c.KeyPem);
                _pem[c.Host] = c.CertificatePem;
            }
            catch (Exception ex)
            {
                onUnusable(c.Host, ex);
            }
        }

        _certificates = next;
    }

    private readonly ConcurrentDictionary<string, string> _pem = new(StringComparer.Ordinal);

    public bool TryGet(string host, out EdgeBackends backends) => _routes.TryGetValue(host, out backends!);

    public bool TryGetTcp(int listenPort, out EdgeTcpBackends backends) => _tcp.TryGetValue(listenPort, out backends!);

    /// <summary>Replaces the HTTP routes, keeping each unchanged route's round-robin position.</summary>
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
        ForgetOld();
    }

    /// <summary>Replaces the TCP routes, keeping each unchanged route's round-robin position.</summary>
    public void ReplaceTcp(IEnumerable<(EdgeTcpRoute Route, IReadOnlyList<string> Destinations)> routes)
    {
        var old = _tcp;
        var next = new Dictionary<int, EdgeTcpBackends>();
        foreach (var (route, destinations) in routes)
        {
            next[route.ListenPort] = old.TryGetValue(route.ListenPort, out var same) && same.Route == route && same.Destinations.SequenceEqual(destinations)
                ? same
                : new EdgeTcpBackends(route, destinations);
        }

        _tcp = next;
        ForgetOld();
        TcpRoutesReplaced?.Invoke();
    }

    /// <summary>The order in which to try the pool's destinations now (<see cref="EdgeBalancer.Order"/>).</summary>
    public List<string> Order(EdgePool pool) =>
        EdgeBalancer.Order(pool.Destinations, pool.NextStart(), pool.Balance, IsHealthy, InFlightTo);

    /// <summary>Passive health: a destination that failed a connection is skipped for <paramref name="penalty"/>.</summary>
    public void MarkFailed(string destination, TimeSpan penalty) => _failedUntil[destination] = clock.GetUtcNow() + penalty;

    public bool IsHealthy(string destination) =>
        !_failedUntil.TryGetValue(destination, out var until) || until <= clock.GetUtcNow();

    /// <summary>Counts a request or connection to <paramref name="destination"/> until the returned lease is disposed.</summary>
    public InFlightLease Begin(string destination)
    {
        var counter = _inFlight.GetOrAdd(destination, static _ => new InFlight());
        Interlocked.Increment(ref counter.Count);
        return new InFlightLease(counter);
    }

    /// <summary>Requests or connections to <paramref name="destination"/> in flight from this node.</summary>
    public int InFlightTo(string destination) => _inFlight.TryGetValue(destination, out var counter) ? Volatile.Read(ref counter.Count) : 0;

    /// <summary>
    /// Drops expired failure marks and the idle counters of destinations no route has any more (replica addresses come
    /// and go with every rollout; the dictionaries would otherwise only grow).
    /// </summary>
    /// <summary>How many destinations have an in-flight counter (the ones routed now, and gone ones still busy).</summary>
    public int CountedDestinations => _inFlight.Count;

    private void ForgetOld()
    {
        foreach (var key in _failedUntil.Keys)
        {
            if (_failedUntil.TryGetValue(key, out var until) && until < clock.GetUtcNow())
            {
                _failedUntil.TryRemove(key, out _);
            }
        }

        if (_inFlight.IsEmpty)
        {
            return;
        }

        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pool in _routes.Values)
        {
            current.UnionWith(pool.Destinations);
        }

        foreach (var pool in _tcp.Values)
        {
            current.UnionWith(pool.Destinations);
        }

        foreach (var (destination, counter) in _inFlight)
        {
            if (!current.Contains(destination) && Volatile.Read(ref counter.Count) == 0)
            {
                _inFlight.TryRemove(KeyValuePair.Create(destination, counter)); // a counter in use stays until a later pass
            }
        }
    }

    public sealed class InFlight
    {
        internal int Count;
    }

    /// <summary>Ends one in-flight request or connection (once, however often it is disposed).</summary>
    public sealed class InFlightLease(InFlight counter) : IDisposable
    {
        private InFlight? _counter = counter;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _counter, null) is { } c)
            {
                Interlocked.Decrement(ref c.Count);
            }
        }
    }
}
