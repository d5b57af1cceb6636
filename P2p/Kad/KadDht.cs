using Formation.P2p.Addressing;
using Formation.P2p.Host;
using Formation.P2p.Identify;
using Formation.P2p.Identity;
using Formation.P2p.Ping;
using Microsoft.Extensions.Logging;

namespace Formation.P2p.Kad;

/// <summary>
/// A Kademlia DHT node in server mode (kad-dht/README.md): answers FIND_NODE, GET_VALUE, PUT_VALUE, ADD_PROVIDER and
/// GET_PROVIDERS, keeps a k-bucket routing table of peers that identified with the kad protocol, and runs iterative
/// lookups for peers, records and providers. Records are accepted only in namespaces with a registered validator.
/// </summary>
public sealed partial class KadDht : IAsyncDisposable
{
    private readonly P2pHost _host;
    private readonly PingService _ping;
    private readonly ILogger _logger;
    private readonly IReadOnlyDictionary<string, IKadRecordValidator> _validators;
    private readonly HashSet<PeerId> _evictionChecks = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task? _refreshLoop;

    /// <summary>Registers the kad protocol on <paramref name="host"/> and routes peers that identify with it.</summary>
    public KadDht(P2pHost host, IdentifyService identify, PingService ping, KadOptions options, IReadOnlyDictionary<string, IKadRecordValidator>? validators = null)
    {
        _host = host;
        _ping = ping;
        Options = options;
        _logger = host.LoggerFactory.CreateLogger<KadDht>();
        _validators = validators ?? new Dictionary<string, IKadRecordValidator>();
        RoutingTable = new RoutingTable(host.PeerId, options.K);
        Store = new KadRecordStore(options);
        host.Handle(options.ProtocolId, HandleAsync);
        identify.PeerIdentified += (connection, message) =>
        {
            if (message.Protocols.Contains(options.ProtocolId))
            {
                AddPeer(connection.RemotePeer);
            }
            else
            {
                RoutingTable.Remove(connection.RemotePeer);
            }
        };
    }

    /// <summary>The settings.</summary>
    public KadOptions Options { get; }

    /// <summary>The routing table.</summary>
    public RoutingTable RoutingTable { get; }

    /// <summary>Records and providers stored here.</summary>
    public KadRecordStore Store { get; }

    /// <summary>Starts the periodic refresh (self lookup, liveness checks of stale entries).</summary>
    public void Start() => _refreshLoop ??= Task.Run(RefreshLoopAsync);

    /// <summary>Connects to <paramref name="peers"/> (full addresses with <c>/p2p</c>) and looks up this node's own id through them.</summary>
    public async Task<int> BootstrapAsync(IEnumerable<Multiaddr> peers, CancellationToken cancellationToken)
    {
        var connected = 0;
        foreach (var address in peers)
        {
            try
            {
                var connection = await _host.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
                AddPeer(connection.RemotePeer);
                connected++;
            }
            catch (IOException e)
            {
                LogBootstrapFailed(_logger, address, e.Message);
            }
        }

        await GetClosestPeersAsync(_host.PeerId.ToBytes(), cancellationToken).ConfigureAwait(false);
        return connected;
    }

    /// <summary>Stops the refresh loop.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_refreshLoop is not null)
        {
            try
            {
                await _refreshLoop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }
    }

    /// <summary>Adds a kad server to the routing table; a full bucket checks its oldest entry first.</summary>
    internal void AddPeer(PeerId peer)
    {
        if (RoutingTable.TryAdd(peer, out var oldest) || oldest is null)
        {
            return;
        }

        lock (_evictionChecks)
        {
            if (!_evictionChecks.Add(oldest))
            {
                return;
            }
        }

        _ = CheckOldestAsync(oldest, peer);
    }

    private async Task CheckOldestAsync(PeerId oldest, PeerId newcomer)
    {
        try
        {
            if (!await IsAliveAsync(oldest).ConfigureAwait(false))
            {
                RoutingTable.Replace(oldest, newcomer);
            }
        }
        finally
        {
            lock (_evictionChecks)
            {
                _evictionChecks.Remove(oldest);
            }
        }
    }

    private async Task<bool> IsAliveAsync(PeerId peer)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(Options.RequestTimeout);
            await _ping.PingAsync(peer, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or P2pProtocolException or Multistream.ProtocolNotSupportedException)
        {
            return false;
        }
    }

    private async Task RefreshLoopAsync()
    {
        using var timer = new PeriodicTimer(Options.RefreshInterval);
        while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
        {
            var stale = RoutingTable.Entries.Where(e => DateTimeOffset.UtcNow - e.LastSeen >= Options.RefreshInterval).ToList();
            var checks = stale.Select(async e =>
            {
                if (await IsAliveAsync(e.Id).ConfigureAwait(false))
                {
                    RoutingTable.TryAdd(e.Id, out _);
                }
                else
                {
                    RoutingTable.Remove(e.Id);
                    LogPeerDropped(_logger, e.Id);
                }
            });
            await Task.WhenAll(checks).ConfigureAwait(false);
            try
            {
                await GetClosestPeersAsync(_host.PeerId.ToBytes(), _stopping.Token).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Nobody answered this round; the next one tries again.
            }
        }
    }

    /// <summary>The peers closest to <paramref name="key"/> (with addresses) from the routing table, for a response.</summary>
    private List<KadPeer> CloserPeers(ReadOnlySpan<byte> key, PeerId? exclude) =>
        [.. RoutingTable.Closest(KadKey.Of(key), Options.K, exclude)
            .Select(id => new KadPeer(id, _host.Peers.Get(id)?.Addresses ?? []))
            .Where(p => p.Addresses.Count > 0)];

    [LoggerMessage(Level = LogLevel.Warning, Message = "kad: bootstrap peer {Address} is unreachable: {Reason}")]
    private static partial void LogBootstrapFailed(ILogger logger, Multiaddr address, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "kad: {Peer} stopped answering and left the routing table")]
    private static partial void LogPeerDropped(ILogger logger, PeerId peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "kad: query to {Peer} failed: {Reason}")]
    private static partial void LogQueryFailed(ILogger logger, PeerId peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "kad: refused a record for key {Key}: {Reason}")]
    private static partial void LogRecordRefused(ILogger logger, string key, string reason);
}
