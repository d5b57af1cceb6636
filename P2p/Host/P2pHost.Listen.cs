using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Formation.P2p.Addressing;
using Formation.P2p.Multistream;
using Formation.P2p.Yamux;

namespace Formation.P2p.Host;

/// <summary>Listening, inbound upgrades and the dispatch of inbound streams.</summary>
public sealed partial class P2pHost
{
    /// <summary>Binds the listen addresses and starts accepting connections.</summary>
    public Task StartAsync()
    {
        var bound = new List<Multiaddr>();
        foreach (var address in Options.ListenAddresses)
        {
            var endPoint = address.ToTcpEndPoint()
                ?? throw new ArgumentException($"cannot listen on {address}: only /ip4/…/tcp/… and /ip6/…/tcp/… are supported");
            var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            try
            {
                listener.Bind(endPoint);
            }
            catch (SocketException e)
            {
                listener.Dispose();
                throw new IOException($"cannot listen on {address}: {e.Message} (pick another port or stop what uses it)", e);
            }

            listener.Listen(512);
            var actual = (IPEndPoint)listener.LocalEndPoint!;
            bound.AddRange(Expand(actual));
            _loops.Add(Task.Run(() => AcceptLoopAsync(listener)));
        }

        ListenAddresses = bound;
        foreach (var address in bound)
        {
            LogListening(_logger, address);
        }

        return Task.CompletedTask;
    }

    /// <summary>A wildcard address stands for every local address of its family.</summary>
    private static IEnumerable<Multiaddr> Expand(IPEndPoint endPoint)
    {
        if (!endPoint.Address.Equals(IPAddress.Any) && !endPoint.Address.Equals(IPAddress.IPv6Any))
        {
            return [Multiaddr.FromTcpEndPoint(endPoint)];
        }

        return NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .Where(a => a.AddressFamily == endPoint.AddressFamily && !a.IsIPv6LinkLocal)
            .Distinct()
            .Select(a => Multiaddr.FromTcpEndPoint(new IPEndPoint(a, endPoint.Port)));
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        using (listener)
        {
            while (!_stopping.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException)
                {
                    continue;
                }

                if (Interlocked.Increment(ref _pendingInbound) > Options.MaxPendingInbound || !TryReserve())
                {
                    Interlocked.Decrement(ref _pendingInbound);
                    socket.Dispose();
                    continue;
                }

                _ = HandleInboundAsync(socket);
            }
        }
    }

    private async Task HandleInboundAsync(Socket socket)
    {
        var remote = "?";
        try
        {
            socket.NoDelay = true;
            var remoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
            remote = remoteEndPoint.ToString();
            var stream = new NetworkStream(socket, ownsSocket: true);
            YamuxSession session;
            Identity.PeerId peer;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                timeout.CancelAfter(Options.HandshakeTimeout);
                try
                {
                    (session, peer) = await ConnectionUpgrader.UpgradeAsync(stream, dialer: false, Options, null, _logger, timeout.Token).ConfigureAwait(false);
                }
                catch
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }

            var connection = new P2pConnection(this, session, peer, Multiaddr.FromTcpEndPoint(remoteEndPoint), ConnectionDirection.Inbound);
            if (!TryAdd(connection))
            {
                await session.DisposeAsync().ConfigureAwait(false);
                return;
            }

            OnOpened(connection);
        }
        catch (Exception e) when (e is P2pProtocolException or IOException or OperationCanceledException or SocketException or ProtocolNotSupportedException)
        {
            socket.Dispose();
            LogInboundFailed(_logger, remote, e.Message);
        }
        finally
        {
            Release();
            Interlocked.Decrement(ref _pendingInbound);
        }
    }

    private async Task AcceptStreamsAsync(P2pConnection connection)
    {
        while (true)
        {
            YamuxStream stream;
            try
            {
                stream = await connection.Session.AcceptStreamAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                return;
            }

            _ = HandleStreamAsync(connection, stream);
        }
    }

    private async Task HandleStreamAsync(P2pConnection connection, YamuxStream stream)
    {
        var protocol = "?";
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token))
            {
                timeout.CancelAfter(Options.StreamNegotiationTimeout);
                protocol = await MultistreamSelect.HandleAsync(stream, [.. _handlers.Keys], timeout.Token).ConfigureAwait(false);
            }

            await _handlers[protocol](new P2pStream(stream, protocol, connection), _stopping.Token).ConfigureAwait(false);
        }
        catch (P2pProtocolException e)
        {
            // A peer that breaks a protocol loses its connection; everyone else is served as before.
            LogHostilePeer(_logger, connection.RemotePeer, e.Message);
            await connection.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or TimeoutException or ProtocolNotSupportedException)
        {
            LogStreamFailed(_logger, protocol, connection.RemotePeer, e.Message);
            stream.Reset();
        }
        catch (Exception e)
        {
            // A bug in a handler must not take the node down: log it and reset the stream.
            LogHandlerCrashed(_logger, protocol, connection.RemotePeer, e);
            stream.Reset();
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
