using System.Collections.Concurrent;
using Formation.P2p.Addressing;
using Formation.P2p.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Formation.P2p.Host;

/// <summary>
/// A libp2p host: listens on TCP, dials, upgrades connections (Noise + yamux), and dispatches inbound streams to
/// the protocol handlers registered with <see cref="Handle"/>. Enforces connection limits in total and per peer.
/// </summary>
public sealed partial class P2pHost : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Func<P2pStream, CancellationToken, Task>> _handlers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly List<P2pConnection> _connections = [];
    private readonly Dictionary<PeerId, Task<P2pConnection>> _dials = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private int _pending;
    private int _pendingInbound;

    /// <summary>Creates a host; <see cref="StartAsync"/> starts listening.</summary>
    public P2pHost(P2pHostOptions options, ILoggerFactory? loggerFactory = null)
    {
        Options = options;
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = LoggerFactory.CreateLogger<P2pHost>();
        Peers = new PeerStore(options.MaxKnownPeers);
    }

    /// <summary>Raised when a connection finished its handshake (before any stream).</summary>
    public event Action<P2pConnection>? ConnectionOpened;

    /// <summary>Raised when a connection closed.</summary>
    public event Action<P2pConnection>? ConnectionClosed;

    /// <summary>The host's options.</summary>
    public P2pHostOptions Options { get; }

    /// <summary>For the protocols built on the host.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>This node's PeerId.</summary>
    public PeerId PeerId => Options.Identity.PeerId;

    /// <summary>What this node knows about other peers.</summary>
    public PeerStore Peers { get; }

    /// <summary>The bound listen addresses (actual ports), without <c>/p2p</c>.</summary>
    public IReadOnlyList<Multiaddr> ListenAddresses { get; private set; } = [];

    /// <summary>The protocols this host answers, in registration order.</summary>
    public IReadOnlyList<string> Protocols => [.. _handlers.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Open connections.</summary>
    public IReadOnlyList<P2pConnection> Connections
    {
        get
        {
            lock (_lock)
            {
                return [.. _connections];
            }
        }
    }

    /// <summary>Registers the handler of inbound streams for <paramref name="protocol"/>.</summary>
    public void Handle(string protocol, Func<P2pStream, CancellationToken, Task> handler)
    {
        if (!_handlers.TryAdd(protocol, handler))
        {
            throw new InvalidOperationException($"a handler for {protocol} is already registered");
        }
    }

    /// <summary>The open connections to <paramref name="peer"/>.</summary>
    public IReadOnlyList<P2pConnection> ConnectionsTo(PeerId peer)
    {
        lock (_lock)
        {
            return [.. _connections.Where(c => c.RemotePeer == peer && !c.IsClosed)];
        }
    }

    /// <summary>Opens a stream to <paramref name="peer"/> (dialling its known addresses if not connected).</summary>
    public async Task<P2pStream> NewStreamAsync(PeerId peer, IReadOnlyList<string> protocols, CancellationToken cancellationToken)
    {
        var connection = await DialAsync(peer, [], cancellationToken).ConfigureAwait(false);
        return await connection.OpenStreamAsync(protocols, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops listening and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var connection in Connections)
        {
            await connection.CloseAsync().ConfigureAwait(false);
        }

        foreach (var loop in _loops)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }
    }

    private bool TryAdd(P2pConnection connection)
    {
        lock (_lock)
        {
            if (_connections.Count(c => c.RemotePeer == connection.RemotePeer && !c.IsClosed) >= Options.MaxConnectionsPerPeer)
            {
                return false;
            }

            _connections.Add(connection);
            return true;
        }
    }

    private void OnOpened(P2pConnection connection)
    {
        Peers.AddAddresses(connection.RemotePeer, connection.Direction == ConnectionDirection.Outbound ? [connection.RemoteAddress] : []);
        connection.Session.Start();
        _ = AcceptStreamsAsync(connection);
        _ = connection.Session.Completion.ContinueWith(
            t =>
            {
                lock (_lock)
                {
                    _connections.Remove(connection);
                }

                if (t.Result is { } error)
                {
                    LogConnectionFailed(_logger, connection.RemotePeer, error.Message);
                }

                ConnectionClosed?.Invoke(connection);
            },
            TaskScheduler.Default);
        LogConnected(_logger, connection.RemotePeer, connection.Direction, connection.RemoteAddress);
        ConnectionOpened?.Invoke(connection);
    }

    /// <summary>Reserves a slot for a new connection; false at the limit.</summary>
    private bool TryReserve()
    {
        lock (_lock)
        {
            if (_connections.Count + _pending >= Options.MaxConnections)
            {
                return false;
            }

            _pending++;
            return true;
        }
    }

    private void Release()
    {
        lock (_lock)
        {
            _pending--;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "p2p: connected to {Peer} ({Direction}, {Address})")]
    private static partial void LogConnected(ILogger logger, PeerId peer, ConnectionDirection direction, Multiaddr address);

    [LoggerMessage(Level = LogLevel.Information, Message = "p2p: connection with {Peer} closed after a protocol error: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, PeerId peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "p2p: inbound connection from {Remote} failed: {Reason}")]
    private static partial void LogInboundFailed(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "p2p: stream {Protocol} from {Peer} failed: {Reason}")]
    private static partial void LogStreamFailed(ILogger logger, string protocol, PeerId peer, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "p2p: closing the connection with {Peer}: {Reason}")]
    private static partial void LogHostilePeer(ILogger logger, PeerId peer, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "p2p: the {Protocol} handler failed on a stream from {Peer}")]
    private static partial void LogHandlerCrashed(ILogger logger, string protocol, PeerId peer, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "p2p: listening on {Address}")]
    private static partial void LogListening(ILogger logger, Multiaddr address);
}
