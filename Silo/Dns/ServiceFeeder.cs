using Formation.Formfiles;
using Formation.Images;
using Formation.Ownership;
using Formation.Services;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Dns;

/// <summary>
/// Publishes the services' names (<see cref="ServiceRecords"/>) into the <see cref="DnsTable"/>: every second it reads
/// the service list and each service's replicas, so a replica that starts serving, drains or dies is in or out of the
/// zone within a second (a service drains a replica for longer than that before deleting it).
/// </summary>
public sealed partial class ServiceFeeder(IGrainFactory grains, DnsTable table, IOptions<DnsOptions> options, ILogger<ServiceFeeder> logger)
    : BackgroundService
{
    public const string Source = "services";

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    // Exposed ports by image digest: a digest's manifest never changes.
    private readonly Dictionary<string, IReadOnlyList<ExposedPort>> _ports = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await RefreshAsync();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRefreshFailed(ex); // the names stay as they were until the next read
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    public async Task RefreshAsync()
    {
        var records = new Dictionary<string, IReadOnlyList<ZoneRecord>>(StringComparer.Ordinal);
        foreach (var service in await grains.AllServicesAsync())
        {
            foreach (var (name, list) in ServiceRecords.Of(service, await PortsAsync(service)))
            {
                records[name] = list;
            }
        }

        table.Replace(Source, records);
    }

    private async Task<IReadOnlyList<ExposedPort>> PortsAsync(ServiceInfo service)
    {
        if (service.Current?.Template is not { Image: { } image, ImageDigest: { } digest })
        {
            return [];
        }

        if (!_ports.TryGetValue(digest, out var ports))
        {
            var manifest = await grains.GetGrain<IImageGrain>(ImageNames.InAccount(OwnedName.FromStored(service.Name).Account, image)).GetManifestAsync();
            ports = manifest?.Digest == digest ? [.. manifest.ExposedPorts] : [];
            if (manifest?.Digest == digest)
            {
                _ports[digest] = ports; // an older version's ports are looked up again (rare: a rollback)
            }
        }

        return ports;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "DNS: reading the services failed; their names stay as they were")]
    private partial void LogRefreshFailed(Exception ex);
}
