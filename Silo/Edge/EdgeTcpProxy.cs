using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;

namespace Formation.Silo.Edge;

/// <summary>
/// The edge's L4 forwarder: for each TCP route of the <see cref="EdgeTable"/> a listener on every address of the node
/// (the route's listen port) that joins each accepted connection to a serving replica's <c>address:port</c>, chosen
/// in the route's balancing order; a replica that refuses or does not accept in time is skipped for a while (passive
/// health) and the next one is tried. Listeners follow the table live: a new route opens one, a removed route closes
/// its listener while the connections it accepted carry on to their end. Bounded: at most
/// <see cref="EdgeOptions.TcpMaxConnections"/> open connections per route (more are closed on accept) and
/// <see cref="EdgeOptions.TcpIdleTimeout"/> without a byte ends a connection.
/// </summary>
public sealed partial class EdgeTcpProxy(EdgeTable table, EdgeOptions options, ILogger<EdgeTcpProxy> logger, EdgeMetrics? metrics = null)
    : IHostedService, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, TcpRouteListener> _listeners = [];
    private readonly HashSet<int> _unavailable = [];
    private readonly CancellationTokenSource _stopping = new();
    private bool _stopped;

    private int MaxConnections => options.TcpMaxConnections;

    private EdgeMetrics? Metrics => metrics;

    /// <summary>The listen ports open now.</summary>
    public IReadOnlyCollection<int> ListeningPorts
    {
        get
        {
            lock (_gate)
            {
                return [.. _listeners.Keys.Order()];
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        table.TcpRoutesReplaced += Reconcile;
        Reconcile();
        return Task.CompletedTask;
    }

    /// <summary>Opens a listener for each TCP route that has none and closes those whose route is gone.</summary>
    public void Reconcile()
    {
        var routes = table.TcpRoutes;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            foreach (var port in _listeners.Keys.Where(p => !routes.ContainsKey(p)).ToList())
            {
                _listeners.Remove(port, out var gone);
                gone!.Close();
                LogClosed(port);
            }

            _unavailable.RemoveWhere(p => !routes.ContainsKey(p));
            foreach (var (port, backends) in routes)
            {
                if (_listeners.ContainsKey(port))
                {
                    continue;
                }

                if (options.ReservedPorts.Contains(port))
                {
                    if (_unavailable.Add(port))
                    {
                        LogReserved(port, backends.Route.Service);
                    }

                    continue;
                }

                try
                {
                    var listener = new TcpRouteListener(port, this);
                    _listeners[port] = listener;
                    _unavailable.Remove(port);
                    LogListening(port, backends.Route.Service, backends.Route.Port);
                }
                catch (SocketException ex)
                {
                    if (_unavailable.Add(port)) // tried again on every refresh, said once
                    {
                        LogPortTaken(port, backends.Route.Service, ex.SocketErrorCode);
                    }
                }
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        table.TcpRoutesReplaced -= Reconcile;
        lock (_gate)
        {
            _stopped = true;
            foreach (var listener in _listeners.Values)
            {
                listener.Close();
            }

            _listeners.Clear();
        }

        _stopping.Cancel(); // the silo stops: open connections end too
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        _stopping.Dispose();
    }

    /// <summary>Joins one accepted connection to a replica and copies both ways until both sides are done or it idles out.</summary>
    private async Task ServeAsync(int listenPort, Socket client, TcpRouteListener listener)
    {
        using var _ = client;
        try
        {
            if (!table.TryGetTcp(listenPort, out var backends) || backends.Destinations.Count == 0)
            {
                metrics?.Connection(listenPort, "no_replica");
                return; // no route any more, or no serving replica: the client sees the connection closed
            }

            foreach (var destination in table.Order(backends))
            {
                var replica = await ConnectAsync(destination);
                if (replica is null)
                {
                    table.MarkFailed(destination, options.FailurePenalty);
                    continue;
                }

                metrics?.Connection(listenPort, "forwarded");
                metrics?.Open(listenPort, +1);
                try
                {
                    using (replica)
                    using (table.Begin(destination))
                    {
                        await PumpAsync(listenPort, client, replica);
                    }
                }
                finally
                {
                    metrics?.Open(listenPort, -1);
                }

                return;
            }

            metrics?.Connection(listenPort, "no_replica");
            LogNoReplica(listenPort, backends.Route.Service, backends.Destinations.Count);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // a side reset or the silo stopped: the connection ends, nothing else does
        }
        finally
        {
            listener.Release();
        }
    }

    private async Task<Socket?> ConnectAsync(string destination)
    {
        if (!IPEndPoint.TryParse(destination, out var endpoint))
        {
            return null;
        }

        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token);
            return socket;
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !_stopping.IsCancellationRequested))
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Copies both ways. One side's end of stream is passed on as a half close (shutdown of sending to the other), so
    /// request/response protocols that close their sending side first still get their answer; the idle timer restarts on
    /// every byte either way.
    /// </summary>
    private async Task PumpAsync(int listenPort, Socket client, Socket replica)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        idle.CancelAfter(options.TcpIdleTimeout);
        await Task.WhenAll(CopyAsync(client, replica, idle, listenPort, fromClient: true), CopyAsync(replica, client, idle, listenPort, fromClient: false));
    }

    private async Task CopyAsync(Socket from, Socket to, CancellationTokenSource idle, int listenPort, bool fromClient)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, idle.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                idle.CancelAfter(options.TcpIdleTimeout);
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, idle.Token);
                metrics?.Bytes(listenPort, fromClient, read);
            }
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // idle, reset or stopping: end both directions (the other copy sees its socket fail and ends too)
            idle.Cancel();
            from.Close();
            to.Close();
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One route's listening socket and its accept loop; closing it stops accepting, not the connections it made.</summary>
    private sealed class TcpRouteListener
    {
        private readonly Socket _socket;
        private readonly EdgeTcpProxy _proxy;
        private readonly int _port;
        private int _open;
        private long _capSaidAt = long.MinValue;

        public TcpRouteListener(int port, EdgeTcpProxy proxy)
        {
            _port = port;
            _proxy = proxy;
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                _socket.Bind(new IPEndPoint(IPAddress.Any, port));
                _socket.Listen(512);
            }
            catch
            {
                _socket.Dispose();
                throw;
            }

            _ = AcceptLoopAsync();
        }

        public void Release() => Interlocked.Decrement(ref _open);

        public void Close() => _socket.Dispose();

        private async Task AcceptLoopAsync()
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await _socket.AcceptAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return; // closed: the route is gone or the silo stops
                }

                if (Interlocked.Increment(ref _open) > _proxy.MaxConnections)
                {
                    Interlocked.Decrement(ref _open);
                    client.Dispose(); // over the cap: closed at once, the connections already open are not disturbed
                    _proxy.Metrics?.Connection(_port, "over_cap");
                    var now = Environment.TickCount64;
                    var said = Interlocked.Read(ref _capSaidAt);
                    if (now - said > 10_000 && Interlocked.CompareExchange(ref _capSaidAt, now, said) == said)
                    {
                        _proxy.LogOverCap(_port, _proxy.MaxConnections); // at most every 10 s: a flood does not flood the log
                    }
                    continue;
                }

                client.NoDelay = true;
                _ = _proxy.ServeAsync(_port, client, this);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Edge TCP: port {Port} → service {Service} port {TargetPort} (every address)")]
    private partial void LogListening(int port, string service, int targetPort);

    [LoggerMessage(Level = LogLevel.Information, Message = "Edge TCP: port {Port} closed (its route was deleted); open connections carry on")]
    private partial void LogClosed(int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Edge TCP: cannot listen on port {Port} for service {Service} ({Error}); retrying while the route exists")]
    private partial void LogPortTaken(int port, string service, SocketError error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Edge TCP: port {Port} (route to service {Service}) is one of this silo's own ports; not opened here")]
    private partial void LogReserved(int port, string service);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Edge TCP: port {Port} is at its cap of {Cap} open connections; a new one was closed")]
    private partial void LogOverCap(int port, int cap);

    [LoggerMessage(Level = LogLevel.Information, Message = "Edge TCP: port {Port}: none of the {Count} replica(s) of service {Service} accepted a connection")]
    private partial void LogNoReplica(int port, string service, int count);
}
