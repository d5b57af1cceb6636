using System.Net;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Formation.Silo.Dns;

/// <summary>
/// The DNS server on some addresses: ARSoft's <see cref="DnsServer"/> (message parsing and encoding, truncation, TCP
/// framing) over the bounded <see cref="UdpZoneTransport"/> and <see cref="BoundedTcpTransport"/>, answering from the
/// table through the <see cref="ZoneAnswerer"/> and forwarding guests' other names through the <see cref="DnsForwarder"/>.
/// </summary>
public sealed partial class ZoneServer : IDisposable
{
    private readonly DnsTable _table;
    private readonly GuestSources _guests;
    private readonly ZoneAnswerer _answerer;
    private readonly DnsForwarder _forwarder;
    private readonly ILogger _logger;
    private readonly AnswerCache _cache;
    private readonly SemaphoreSlim _inFlight;
    private readonly List<UdpZoneTransport> _udp = [];
    private readonly DnsServer _server;
    private readonly CancellationTokenSource _stopping = new();
    private readonly DnsMetrics? _metrics;
    private readonly string _role;
    private long _errors;

    public ZoneServer(DnsOptions options, IReadOnlyList<IPAddress> addresses, DnsTable table, GuestSources guests, ZoneAnswerer answerer,
        DnsForwarder forwarder, SourceRateLimiter limiter, ILogger logger, DnsMetrics? metrics = null, string role = "fabric")
        : this(options, [.. addresses.Select(a => new IPEndPoint(a, options.Port))], table, guests, answerer, forwarder, limiter, logger, metrics, role)
    {
    }

    /// <summary>
    /// A server on the given endpoints (the public listener has a port of its own); <paramref name="options"/> gives the
    /// bounds; <paramref name="role"/> is its <c>formation.dns.server</c> label.
    /// </summary>
    public ZoneServer(DnsOptions options, IReadOnlyList<IPEndPoint> endpoints, DnsTable table, GuestSources guests, ZoneAnswerer answerer,
        DnsForwarder forwarder, SourceRateLimiter limiter, ILogger logger, DnsMetrics? metrics = null, string role = "fabric")
    {
        _metrics = metrics;
        _role = role;
        _table = table;
        _guests = guests;
        _answerer = answerer;
        _forwarder = forwarder;
        _logger = logger;
        _cache = new AnswerCache(options.AnswerCacheEntries);
        _inFlight = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
        Limiter = limiter;
        Addresses = [.. endpoints.Select(e => e.Address)];
        var transports = new List<IServerTransport>();
        foreach (var endpoint in endpoints)
        {
            var udp = new UdpZoneTransport(endpoint, options.UdpWorkers, limiter, _cache, guests, _inFlight, metrics, role);
            _udp.Add(udp);
            transports.Add(udp);
            transports.Add(new BoundedTcpTransport(new TcpServerTransport(endpoint, 5000, 10_000), options.MaxTcpConnections, limiter));
        }

        _server = new DnsServer([.. transports]);
        _server.QueryReceived += OnQueryAsync;
        _server.ExceptionThrown += OnException;
    }

    public IReadOnlyList<IPAddress> Addresses { get; }

    public SourceRateLimiter Limiter { get; }

    /// <summary>Queries ARSoft could not parse or answer (malformed packets land here).</summary>
    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>Datagrams the UDP side dropped or answered with FORMERR before parsing.</summary>
    public long Malformed => _udp.Sum(u => u.Malformed);

    /// <summary>Queries dropped because the server was answering its maximum already.</summary>
    public long Shed => _udp.Sum(u => u.Shed);

    public int CachedAnswers => _cache.Count;

    /// <summary>Binds every address (UDP and TCP) and starts answering; throws when an address cannot be bound.</summary>
    public void Start()
    {
        _cache.Invalidate(_table.Current.Version);
        _table.Changed += OnTableChanged;
        try
        {
            _server.Start();
        }
        catch
        {
            _table.Changed -= OnTableChanged;
            throw;
        }
    }

    public void Dispose()
    {
        _table.Changed -= OnTableChanged;
        _stopping.Cancel();
        try
        {
            _server.Stop();
        }
        catch (Exception ex)
        {
            LogStopFailed(ex);
        }
    }

    private void OnTableChanged(ZoneSnapshot snapshot) => _cache.Invalidate(snapshot.Version);

    private async Task OnQueryAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query)
        {
            return; // an UPDATE or other kind: ARSoft answers SERVFAIL
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // Over UDP the transport found the asker (and keyed the cache by it); over TCP it is found here.
        var asker = e.RemoteEndpoint is AskerEndPoint known ? known.Asker : _guests.Asker(e.RemoteEndpoint.Address);
        var answer = _answerer.Answer(query, asker, _table.Current);
        e.Response = answer.Forward ? await _forwarder.ForwardAsync(query, _stopping.Token) : answer.Response;
        if (e.Response is DnsMessage response)
        {
            _metrics?.Answered(_role, e.TransportProtocol == TransportProtocol.Udp ? "udp" : "tcp", answer.Forward ? "forward" : "zone",
                (int)response.ReturnCode, started);
        }
    }

    private Task OnException(object sender, ExceptionEventArgs e)
    {
        Interlocked.Increment(ref _errors);
        LogQueryFailed(e.Exception.GetBaseException().Message);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "DNS: a query failed: {Reason}")]
    private partial void LogQueryFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DNS: stopping the server failed")]
    private partial void LogStopFailed(Exception ex);
}
