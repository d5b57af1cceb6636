using Formation.Discovery;
using Formation.P2p;
using Formation.P2p.Host;
using Formation.P2p.Kad;
using Formation.P2p.Mdns;
using Formation.P2p.Records;
using Formation.Silo.Nodes;
using P2pCapacity = Formation.P2p.Records.NodeCapacity;

namespace Formation.Silo.Discovery;

/// <summary>
/// The silo's libp2p host (Formation.P2p): its persistent identity, a Kademlia DHT in server mode, the signed node
/// record of this node (published at start and re-signed every <see cref="DiscoverySettings.RecordRefresh"/>, pushed to
/// connected members and put in the DHT), joining through <c>--join</c> peers (retried until one answers), and mDNS
/// when asked for. Records with a bad signature, an older sequence number or another cluster id are ignored
/// (<see cref="NodeRecordBook"/>).
/// </summary>
public sealed partial class DiscoveryService(DiscoverySettings settings, LocalNode node, ILoggerFactory loggers, ILogger<DiscoveryService> logger)
    : ILifecycleParticipant<ISiloLifecycle>, IPeerDirectory, IAsyncDisposable
{
    private static readonly TimeSpan MaxJoinBackoff = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource _stopping = new();
    private P2pNode? _p2p;
    private NodeRecordService? _records;
    private MdnsDiscovery? _mdns;
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    /// <summary>The running libp2p node (null before start).</summary>
    public P2pNode? Node => _p2p;

    /// <summary>The node records (null before start).</summary>
    public NodeRecordService? Records => _records;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(DiscoveryService), ServiceLifecycleStage.Active, StartAsync, _ => StopAsync());

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var p2p = new P2pNode(
            new P2pHostOptions { Identity = settings.Identity, ListenAddresses = [settings.Listen], AgentVersion = $"formation-silo/{node.Info.Version}" },
            new KadOptions(),
            new Dictionary<string, IKadRecordValidator> { [NodeRecordKeys.Namespace] = new NodeRecordValidator() },
            loggers);
        _records = new NodeRecordService(p2p, new NodeRecordBook(settings.ClusterId));
        await p2p.StartAsync();
        _p2p = p2p;
        await _records.PublishAsync(LocalRecord(), cancellationToken);
        if (settings.Mdns)
        {
            _mdns = new MdnsDiscovery(p2p.Host, new MdnsOptions());
            _mdns.PeerDiscovered += (peer, _) => LogMdnsFound(peer.ToString());
            _mdns.Start();
        }

        LogListening(p2p.Host.PeerId.ToString(), string.Join(", ", settings.Advertised), settings.IdentityPath, settings.Mdns ? "on" : "off");
        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        if (_mdns is not null)
        {
            await _mdns.DisposeAsync();
            _mdns = null;
        }

        if (_p2p is not null)
        {
            await _p2p.DisposeAsync();
            _p2p = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The container disposes this once per registration that hands it out (itself, IPeerDirectory, the lifecycle
        // participant): only the first does anything.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync();
        _stopping.Dispose();
    }

    /// <inheritdoc />
    public IReadOnlyList<PeerRow> Snapshot() =>
        _p2p is { } p2p && _records is { } records ? PeerRows.Build(node.Identity.NodeId, p2p.Host, records.Book) : [];

    /// <summary>This node's record as it would sign it now (sequence, PeerId and cluster are set when signing).</summary>
    private NodeRecord LocalRecord()
    {
        var info = node.Info;
        return new NodeRecord(0, settings.Identity.PeerId, settings.ClusterId, info.NodeId,
            [.. settings.Advertised.Select(a => a.WithoutPeerId())], [info.SiloEndpoint], [info.GatewayEndpoint],
            WireGuardPublicKey: null, WireGuardEndpoints: [],
            new P2pCapacity(info.Allocatable.VCpus, info.Allocatable.MemoryMiB, info.Allocatable.DiskGiB), DateTimeOffset.UtcNow);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var joined = settings.Join.Count == 0;
        var backoff = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!joined)
                {
                    joined = await TryJoinAsync(cancellationToken);
                }

                await RefreshAsync(cancellationToken);
                var wait = joined ? settings.RecordRefresh : backoff;
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxJoinBackoff.Ticks));
                await Task.Delay(wait, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or P2pProtocolException or TimeoutException or OperationCanceledException or InvalidOperationException)
            {
                LogRefreshFailed(ex.Message);
                await Task.Delay(backoff, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task<bool> TryJoinAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var connected = await _p2p!.Dht.BootstrapAsync(settings.Join, timeout.Token);
        if (connected == 0)
        {
            LogJoinWaiting(string.Join(", ", settings.Join));
            return false;
        }

        LogJoined(connected, settings.Join.Count);
        return true;
    }

    /// <summary>Re-signs the record, pushes it to connected members, pings them, and looks up the cluster's members.</summary>
    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var p2p = _p2p!;
        var records = _records!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var published = await records.PublishAsync(LocalRecord(), timeout.Token);
        var connected = p2p.Host.Connections.Select(c => c.RemotePeer).Distinct().ToList();
        await Task.WhenAll(connected.Select(peer => TouchAsync(p2p, records, peer, timeout.Token)));
        var known = await records.DiscoverAsync(timeout.Token);
        LogRefreshed(published.Sequence, connected.Count, known);
    }

    private async Task TouchAsync(P2pNode p2p, NodeRecordService records, P2p.Identity.PeerId peer, CancellationToken cancellationToken)
    {
        try
        {
            await p2p.Ping.PingAsync(peer, cancellationToken);
            if (p2p.Host.Peers.Get(peer)?.Supports(NodeRecordService.ProtocolId) == true)
            {
                await records.ExchangeAsync(peer, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or P2pProtocolException or OperationCanceledException or Formation.P2p.Multistream.ProtocolNotSupportedException)
        {
            LogPeerUnreachable(peer.ToString(), ex.Message);
        }
    }
}
