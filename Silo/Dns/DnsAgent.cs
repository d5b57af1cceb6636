using System.Net;
using System.Net.Sockets;
using Formation.Silo.Network;
using Formation.Silo.Nodes;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Dns;

/// <summary>
/// form-dns on this node: serves the zone on the configured addresses and, once the node has its bridge (made when the node runs real VMs; it is also the node's overlay address), on the bridge address.
/// The fabric feeder starts with the first address served, or at start on a node in the mesh (its overlay guard needs the
/// VMs' owners even when DNS is off or cannot bind). An address that cannot be bound (port 53 taken, no privilege) is
/// logged and tried again.
/// </summary>
public sealed partial class DnsAgent(
    IOptions<DnsOptions> options,
    DnsTable table,
    GuestSources guests,
    FabricFeeder feeder,
    HostNetwork network,
    MeshAgent mesh,
    LocalNode node,
    TimeProvider clock,
    ILoggerFactory loggers,
    DnsMetrics? metrics = null) : ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger = loggers.CreateLogger<DnsAgent>();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private Task _loop = Task.CompletedTask;
    private ZoneServer? _server;
    private DnsForwarder? _forwarder;
    private bool _feeding;

    /// <summary>The running server, once at least one address is bound.</summary>
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
        lifecycle.Subscribe(nameof(DnsAgent), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Enabled || mesh.Enabled)
        {
            _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    /// <summary>Follows the fabric for the overlay guard, whether or not DNS serves (tried again until it works).</summary>
    private async Task FeedForMeshAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await EnsureFeedingAsync(cancellationToken);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFeedForMeshFailed(ex);
                await Task.Delay(RetryInterval, clock, cancellationToken);
            }
        }
    }

    private async Task EnsureFeedingAsync(CancellationToken cancellationToken)
    {
        if (!_feeding)
        {
            await feeder.StartAsync(cancellationToken);
            _feeding = true;
        }
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

        _forwarder?.Dispose();
        if (_feeding)
        {
            await feeder.DisposeAsync();
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        try
        {
            if (mesh.Enabled)
            {
                await FeedForMeshAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (!o.Enabled)
        {
            return;
        }

        var configured = o.Listen.Select(IPAddress.Parse).ToList();
        var resolvers = o.Forwarders.Count > 0
            ? o.Forwarders.Select(f => DnsForwarder.TryParseResolver(f, out var r) ? r : null).OfType<IPEndPoint>().ToList()
            : ResolvConf.Read().Select(a => new IPEndPoint(a, 53)).ToList();

        // Never forward to ourselves (a loop that would eat every slot).
        _forwarder = new DnsForwarder([.. resolvers.Where(r => !(configured.Contains(r.Address) && r.Port == o.Port))], o.ForwardTimeout, o.MaxForwards);
        var limiter = new SourceRateLimiter(o.RateLimit, o.RateBurst, o.RateLimitSources, clock);
        var answerer = new ZoneAnswerer(o.Zone, o.Ttl, FabricRecords.NodeName(node.Identity.NodeId));
        IReadOnlyList<IPAddress> serving = [];
        string? lastProblem = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var wanted = new List<IPAddress>(configured);
            if (o.ListenOnBridge && network.Enabled && network.Subnet is { } subnet)
            {
                wanted.Add(subnet.Gateway);
            }

            wanted = [.. wanted.Distinct()];
            if (wanted.Count > 0 && !wanted.SequenceEqual(serving))
            {
                try
                {
                    // Only a node that serves or is in the mesh follows the fabric (test silos with nothing to listen on do not).
                    await EnsureFeedingAsync(cancellationToken);

                    guests.SetLocal(wanted); // the host asking its own bridge address asks from that address
                    var server = new ZoneServer(o, wanted, table, guests, answerer, _forwarder, limiter, _logger, metrics, "fabric");
                    server.Start();
                    lock (_gate)
                    {
                        _server?.Dispose();
                        _server = server;
                    }

                    serving = wanted;
                    lastProblem = null;
                    LogServing(o.Zone, string.Join(", ", wanted), o.Port, _forwarder.Resolvers.Count == 0 ? "none" : string.Join(", ", _forwarder.Resolvers));
                }
                catch (SocketException ex)
                {
                    var problem = ex.SocketErrorCode switch
                    {
                        SocketError.AddressAlreadyInUse => $"port {o.Port} is already in use on one of {string.Join(", ", wanted)} (another DNS server?); stop it or set Formation:Dns:Port",
                        SocketError.AccessDenied => $"no permission to bind port {o.Port} (run the silo as root or set Formation:Dns:Port above 1023)",
                        _ => ex.Message,
                    };
                    if (problem != lastProblem)
                    {
                        LogBindFailed(string.Join(", ", wanted), problem);
                        lastProblem = problem;
                    }
                }
            }

            try
            {
                await Task.Delay(serving.Count == 0 || !serving.Contains(network.Subnet?.Gateway ?? IPAddress.None) ? TimeSpan.FromSeconds(1) : RetryInterval,
                    clock, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "DNS: serving zone {Zone} on {Addresses} port {Port}; other names forwarded for guests to {Resolvers}")]
    private partial void LogServing(string zone, string addresses, int port, string resolvers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DNS: could not start following the fabric's VMs for the overlay guard; retrying")]
    private partial void LogFeedForMeshFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DNS: cannot serve on {Addresses}: {Problem}. Retrying.")]
    private partial void LogBindFailed(string addresses, string problem);
}
