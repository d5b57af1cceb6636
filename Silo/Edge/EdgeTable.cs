using System.Collections.Concurrent;
using System.Security.Cryptography.X509Certificates;
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

    private volatile IReadOnlyDictionary<string, X509Certificate2> _certificates = new Dictionary<string, X509Certificate2>();

    public IReadOnlyDictionary<string, EdgeBackends> Routes => _routes;

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
