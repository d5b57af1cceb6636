using Formation.Edge;
using Formation.Errors;
using Formation.Grains.Common;
using Formation.Identity;
using Formation.Images;
using Formation.Ownership;
using Formation.Scheduling;
using Formation.Services;

namespace Formation.Grains.Edge;

/// <summary>
/// The edge routes, a row per host name (HTTP) or listen port (TCP); the edge proxy of every node reads them. Host names
/// and ports are one namespace for the whole cluster, but a route belongs to the account of the service it sends to
/// (its <c>Service</c> is that service's key): a member routes only to its own services, and sees and deletes only
/// its own routes; another account's route answers like a missing one, except that its host or port is taken.
/// </summary>
public sealed class RouteCatalogGrain(IStateRowStore rows, TimeProvider clock) : Grain, IRouteCatalogGrain
{
    private PersistentRowMap<EdgeRoute> _routes = null!;
    private PersistentRowMap<EdgeCertificate> _certificates = null!;
    private PersistentRowMap<EdgeTcpRoute> _tcp = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _routes = new PersistentRowMap<EdgeRoute>(rows, "edge-routes", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _routes.LoadAsync(cancellationToken);
        _certificates = new PersistentRowMap<EdgeCertificate>(rows, "edge-certificates", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _certificates.LoadAsync(cancellationToken);
        _tcp = new PersistentRowMap<EdgeTcpRoute>(rows, "edge-tcp-routes", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _tcp.LoadAsync(cancellationToken);
    }

    public async Task<EdgeRoute> AddAsync(string host, string service, int port, EdgeTlsRequest? tls = null, EdgeBalance balance = EdgeBalance.RoundRobin)
    {
        host = EdgeRouteRules.NormalizeHost(host);
        EdgeRouteRules.RequireHost(host);
        EdgeRouteRules.RequirePort(port);
        EdgeRouteRules.RequireBalance(balance);
        service = ServiceKeyOf(service);
        if (_routes.TryGetValue(host, out var taken))
        {
            throw Visible(taken.Service)
                ? FormationException.Conflict($"Host '{host}' already routes to service '{taken.Service}' port {taken.Port}. Delete that route first (`form route delete {host}`).")
                : FormationException.Conflict($"Host '{host}' is routed by another account. Choose another host name, or ask an admin.");
        }

        await RequireExposedAsync(service, port);
        var now = clock.GetUtcNow();
        var prepared = tls is null ? default : EdgeCertificates.Prepare(host, tls, now);
        var route = new EdgeRoute(host, service, port, now, prepared.Tls, balance);
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
        Task.FromResult<IReadOnlyList<EdgeRoute>>([.. _routes.Items.Values.Where(r => Visible(r.Service)).OrderBy(r => r.Host, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<EdgeCertificate>> CertificatesAsync() =>
        Task.FromResult<IReadOnlyList<EdgeCertificate>>([.. _certificates.Items.Values.Where(c => _routes.Items.ContainsKey(c.Host))]);

    public async Task<EdgeRoute> DeleteAsync(string host)
    {
        host = EdgeRouteRules.NormalizeHost(host);
        if (!_routes.TryGetValue(host, out var owned) || !Visible(owned.Service) || !_routes.Remove(host, out var route))
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

    public async Task<EdgeTcpRoute> AddTcpAsync(int listenPort, string service, int port, EdgeBalance balance = EdgeBalance.RoundRobin)
    {
        EdgeRouteRules.RequireTcpListenPort(listenPort);
        EdgeRouteRules.RequirePort(port);
        EdgeRouteRules.RequireBalance(balance);
        service = ServiceKeyOf(service);
        var key = TcpKey(listenPort);
        if (_tcp.TryGetValue(key, out var taken))
        {
            throw Visible(taken.Service)
                ? FormationException.Conflict($"TCP port {listenPort} already routes to service '{taken.Service}' port {taken.Port}. Delete that route first (`form route delete --tcp {listenPort}`).")
                : FormationException.Conflict($"TCP port {listenPort} is routed by another account. Choose another port, or ask an admin.");
        }

        foreach (var node in await GrainFactory.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync())
        {
            if (NodePorts.Of(node.Info).Contains(listenPort))
            {
                throw FormationException.Conflict(
                    $"TCP port {listenPort} is one node '{node.NodeId}' itself listens on (its silo, gateway, metrics or libp2p). Choose another port.");
            }
        }

        await RequireExposedAsync(service, port);
        var route = new EdgeTcpRoute(listenPort, service, port, clock.GetUtcNow(), balance);
        _tcp.Set(key, route);
        await _tcp.FlushAsync();
        return route;
    }

    public Task<IReadOnlyList<EdgeTcpRoute>> ListTcpAsync() =>
        Task.FromResult<IReadOnlyList<EdgeTcpRoute>>([.. _tcp.Items.Values.Where(r => Visible(r.Service)).OrderBy(r => r.ListenPort)]);

    public async Task<EdgeTcpRoute> DeleteTcpAsync(int listenPort)
    {
        if (!_tcp.TryGetValue(TcpKey(listenPort), out var owned) || !Visible(owned.Service) || !_tcp.Remove(TcpKey(listenPort), out var route))
        {
            throw FormationException.NotFound($"No TCP route on port {listenPort}. `form route list` shows the routes.");
        }

        await _tcp.FlushAsync();
        return route;
    }

    /// <summary>True when the caller may act on the account that owns the service a route sends to.</summary>
    private static bool Visible(string serviceKey) => CallerContext.CurrentOrSystem.MayAct(OwnedName.FromStored(serviceKey).Account);

    /// <summary>The key of the service the caller names (its own, or an admin's ACCOUNT/NAME); the service grain then refuses what the caller may not see.</summary>
    private static string ServiceKeyOf(string service) => OwnedName.Parse(service, CallerContext.CurrentOrSystem).ToString();

    private static string TcpKey(int listenPort) => listenPort.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The service must exist (NotFound names it) and, when its image declares EXPOSEd ports, expose <paramref name="port"/>/tcp.</summary>
    private async Task RequireExposedAsync(string service, int port)
    {
        var info = await GrainFactory.GetGrain<IServiceGrain>(service).GetAsync();
        if (info.Current?.Template is { Image: { } image })
        {
            var manifest = await GrainFactory.GetGrain<IImageGrain>(ImageNames.InAccount(OwnedName.FromStored(service).Account, image)).GetManifestAsync();
            if (manifest is { ExposedPorts.Length: > 0 } && !manifest.ExposedPorts.Any(p => p.Port == port && p.Protocol == Formfiles.PortProtocol.Tcp))
            {
                throw FormationException.Invalid(
                    $"Service '{service}' exposes {string.Join(", ", manifest.ExposedPorts)}; port {port}/tcp is not one of them. Route to an exposed port.");
            }
        }
    }
}
