using System.Net;
using System.Net.Sockets;
using Formation.Edge;
using Formation.Scheduling;
using Formation.Services;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Dns;

/// <summary>
/// The public side of split-horizon DNS (<c>--dns-public ADDRESS[:PORT] --dns-public-zone ZONE</c>; off by default):
/// its own table of <see cref="PublicRecords"/>, rebuilt every second from the routes, services and nodes, served by a
/// <see cref="ZoneServer"/> with the fog listener's bounds (rate limit per source, in-flight and TCP limits, packet
/// checks) under which no source is a guest, so a name outside the public zone is REFUSED and nothing is forwarded.
/// An endpoint that cannot be bound is logged and tried again.
/// </summary>
public sealed partial class PublicDnsAgent(IOptions<DnsOptions> options, IGrainFactory grains, TimeProvider clock, ILoggerFactory loggers, DnsMetrics? metrics = null)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public const string Source = "public";

    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger = loggers.CreateLogger<PublicDnsAgent>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task _loop = Task.CompletedTask;
    private ZoneServer? _server;

    /// <summary>The public zone's records (tests read it).</summary>
    public DnsTable Table { get; } = new();

    /// <summary>The running server, once its endpoint is bound.</summary>
    public ZoneServer? Server
    {
        get
        {
            lock (_gate)
            {
                return _server;
            }
        }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PublicDnsAgent), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.PublicEndpoint() is { } endpoint)
        {
            _loop = Task.Run(() => RunAsync(endpoint, _stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop;
        lock (_gate)
        {
            _server?.Dispose();
            _server = null;
        }
    }

    private async Task RunAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var zone = o.PublicZone!.Trim().Trim('.').ToLowerInvariant();
        var answerer = new ZoneAnswerer(zone, o.Ttl, "ns");
        var limiter = new SourceRateLimiter(o.RateLimit, o.RateBurst, o.RateLimitSources, clock);
        using var forwarder = new DnsForwarder([], o.ForwardTimeout, 1); // never used: no source is a guest
        var nextBind = DateTimeOffset.MinValue;
        string? lastProblem = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync();
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogRefreshFailed(ex); // the names stay as they were until the next read
            }

            if (Server is null && clock.GetUtcNow() >= nextBind)
            {
                ZoneServer? server = null;
                try
                {
                    server = new ZoneServer(o, [endpoint], Table, GuestSources.Nobody(), answerer, forwarder, limiter, _logger, metrics, "public");
                    server.Start();
                    lock (_gate)
                    {
                        _server = server;
                    }

                    LogServing(zone, endpoint.ToString());
                }
                catch (SocketException ex)
                {
                    server?.Dispose();
                    nextBind = clock.GetUtcNow() + RetryInterval;
                    var problem = ex.SocketErrorCode switch
                    {
                        SocketError.AddressAlreadyInUse => $"{endpoint} is already in use (another DNS server?); stop it or choose another --dns-public",
                        SocketError.AccessDenied => $"no permission to bind port {endpoint.Port} (run the silo as root or use a port above 1023)",
                        SocketError.AddressNotAvailable => $"{endpoint.Address} is not an address of this host",
                        _ => ex.Message,
                    };
                    if (problem != lastProblem)
                    {
                        LogBindFailed(endpoint.ToString(), problem);
                        lastProblem = problem;
                    }
                }
            }

            try
            {
                await Task.Delay(Interval, clock, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Reads the routes, services and nodes once and replaces the public names.</summary>
    public async Task RefreshAsync()
    {
        var routes = await grains.GetGrain<IRouteCatalogGrain>(GrainKeys.Cluster).ListAsync();
        // No route, no public name: the services and nodes are read only when some route exists.
        IReadOnlyList<ServiceInfo> services = routes.Count == 0 ? [] : await grains.AllServicesAsync();
        IReadOnlyList<Formation.Nodes.NodeStatus> nodes = routes.Count == 0 ? [] : await grains.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListNodesAsync();
        Table.Replace(Source, PublicRecords.Of(routes, services, nodes));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DNS: public listener on {Endpoint} answers <service>.{Zone} with the edge nodes' addresses (nothing else, no forwarding)")]
    private partial void LogServing(string zone, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DNS: the public listener cannot serve on {Endpoint}: {Problem}. Retrying.")]
    private partial void LogBindFailed(string endpoint, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DNS: reading routes, services and nodes for the public zone failed; its names stay as they were")]
    private partial void LogRefreshFailed(Exception ex);
}
