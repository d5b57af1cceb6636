using Formation.Edge;
using Formation.Errors;
using Formation.Grains.Common;
using Formation.Images;
using Formation.Services;

namespace Formation.Grains.Edge;

/// <summary>The edge routes, a row per host name; the edge proxy of every node reads them.</summary>
public sealed class RouteCatalogGrain(IStateRowStore rows, TimeProvider clock) : Grain, IRouteCatalogGrain
{
    private PersistentRowMap<EdgeRoute> _routes = null!;
    private PersistentRowMap<EdgeCertificate> _certificates = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _routes = new PersistentRowMap<EdgeRoute>(rows, "edge-routes", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _routes.LoadAsync(cancellationToken);
        _certificates = new PersistentRowMap<EdgeCertificate>(rows, "edge-certificates", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _certificates.LoadAsync(cancellationToken);
    }

    public async Task<EdgeRoute> AddAsync(string host, string service, int port, EdgeTlsRequest? tls = null)
    {
        host = EdgeRouteRules.NormalizeHost(host);
        EdgeRouteRules.RequireHost(host);
        EdgeRouteRules.RequirePort(port);
        if (_routes.TryGetValue(host, out var taken))
        {
            throw FormationException.Conflict(
                $"Host '{host}' already routes to service '{taken.Service}' port {taken.Port}. Delete that route first (`form route delete {host}`).");
        }

        var info = await GrainFactory.GetGrain<IServiceGrain>(service).GetAsync(); // NotFound names the service
        if (info.Current?.Template is { Image: { } image })
        {
            var manifest = await GrainFactory.GetGrain<IImageGrain>(image).GetManifestAsync();
            if (manifest is { ExposedPorts.Length: > 0 } && !manifest.ExposedPorts.Any(p => p.Port == port && p.Protocol == Formfiles.PortProtocol.Tcp))
            {
                throw FormationException.Invalid(
                    $"Service '{service}' exposes {string.Join(", ", manifest.ExposedPorts)}; port {port}/tcp is not one of them. Route to an exposed port.");
            }
        }

        var now = clock.GetUtcNow();
        var prepared = tls is null ? default : EdgeCertificates.Prepare(host, tls, now);
        var route = new EdgeRoute(host, service, port, now, prepared.Tls);
        if (prepared.Certificate is { } certificate)
        {
            _certificates.Set(host, certificate);
            await _certificates.FlushAsync();
        }

        _routes.Set(host, route);
        await _routes.FlushAsync();
        return route;
    }

    public Task<IReadOnlyList<EdgeRoute>> ListAsync() =>
        Task.FromResult<IReadOnlyList<EdgeRoute>>([.. _routes.Items.Values.OrderBy(r => r.Host, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<EdgeCertificate>> CertificatesAsync() =>
        Task.FromResult<IReadOnlyList<EdgeCertificate>>([.. _certificates.Items.Values.Where(c => _routes.Items.ContainsKey(c.Host))]);

    public async Task<EdgeRoute> DeleteAsync(string host)
    {
        host = EdgeRouteRules.NormalizeHost(host);
        if (!_routes.Remove(host, out var route))
        {
            throw FormationException.NotFound($"No route for host '{host}'. `form route list` shows the routes.");
        }

        await _routes.FlushAsync();
        if (_certificates.Remove(host, out _))
        {
            await _certificates.FlushAsync();
        }

        return route;
    }
}
