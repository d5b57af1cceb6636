using Formation.Edge;
using Formation.Services;
using Microsoft.Extensions.Hosting;

namespace Formation.Silo.Edge;

/// <summary>
/// Keeps the <see cref="EdgeTable"/> current: every <see cref="EdgeOptions.RefreshInterval"/> it reads the routes and,
/// for each routed service, its serving replicas (a draining or stopped replica is not one), and swaps the table (HTTP
/// routes, TCP routes, certificates); then tells <see cref="IEdgeViewsGrain"/> which version of each service the table
/// was made from, so a draining replica is deleted only once no edge sends to it.
/// </summary>
public sealed partial class EdgeTableFeeder(IGrainFactory grains, EdgeTable table, EdgeOptions options, Platform.NodeIdentity node, ILogger<EdgeTableFeeder> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RefreshInterval);
        do
        {
            try
            {
                await RefreshAsync();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRefreshFailed(ex); // the previous table keeps serving
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public async Task RefreshAsync()
    {
        var catalog = grains.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster);
        var routes = await catalog.ListAsync();
        var tcp = await catalog.ListTcpAsync();
        var services = new Dictionary<string, ServiceInfo?>(StringComparer.Ordinal);
        foreach (var name in routes.Select(r => r.Service).Concat(tcp.Select(r => r.Service)).Distinct())
        {
            services[name] = await grains.FindAsync(name); // null when deleted since: its routes answer 503 until they are deleted too
        }

        table.Replace(routes.Select(r => (r, Destinations(services[r.Service], r.Port))));
        table.ReplaceTcp(tcp.Select(r => (r, TcpDestinations(services[r.Service], r.Port))));
        if (routes.Any(r => r.Tls is not null))
        {
            table.ReplaceCertificates(await catalog.CertificatesAsync(), (host, ex) => LogCertificateUnusable(ex, host));
        }
        else
        {
            table.ReplaceCertificates([], (_, _) => { });
        }

        await grains.GetGrain<IEdgeViewsGrain>(GrainKeys.Cluster).RefreshedAsync(node.NodeId,
            services.Where(s => s.Value is not null).ToDictionary(s => s.Key, s => s.Value!.UpdatedAt, StringComparer.Ordinal));
    }

    private static IReadOnlyList<string> Destinations(ServiceInfo? service, int port) => service is null
        ? []
        : [.. service.ReplicaList.Where(r => r.Serving && r.Address is not null).Select(r => $"http://{r.Address}:{port}/")];

    private static IReadOnlyList<string> TcpDestinations(ServiceInfo? service, int port) => service is null
        ? []
        : [.. service.ReplicaList.Where(r => r.Serving && r.Address is not null).Select(r => $"{r.Address}:{port}")];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Edge proxy: the certificate of {Host} cannot be loaded; HTTPS for it is off")]
    private partial void LogCertificateUnusable(Exception ex, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Edge proxy: reading the routes failed; the previous table stays")]
    private partial void LogRefreshFailed(Exception ex);
}
