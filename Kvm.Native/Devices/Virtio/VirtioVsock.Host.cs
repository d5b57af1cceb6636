using System.Net.Sockets;
using Formation.Kvm.Native.Interop;
using Formation.Vmm.Protocol;

namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// The hybrid host side: host clients on the Unix socket, their CONNECT handshake, and per connection one loop that moves
/// guest bytes to the socket (and returns credit) and one that moves socket bytes towards the guest within its credit.
/// </summary>
public sealed partial class VirtioVsock
{
    /// <summary>Starts accepting host clients (once the device is on its transport).</summary>
    public void Start() => _acceptLoop ??= AcceptLoopAsync();

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        var host = _host;
        if (host is not null)
        {
            lock (host.SyncRoot)
            {
                Reset();
            }
        }

        try
        {
            _acceptLoop?.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }

        if (_socketPath is not null)
        {
            UnixListener.TryRemove(_socketPath);
        }
    }

    private Task AcceptLoopAsync() => UnixListener.AcceptLoopAsync(_listener, _stop.Token, client =>
    {
        if (Interlocked.Increment(ref _clients) > _maxConnections)
        {
            Interlocked.Decrement(ref _clients);
            LogTooManyClients(_maxConnections);
            client.Dispose();
            return;
        }

        _ = Task.Run(() => ServeAsync(client));
    });

    private async Task ServeAsync(Socket client)
    {
        VsockConnection? conn = null;
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            handshake.CancelAfter(_connectTimeout);
            var port = await ReadConnectAsync(client, handshake.Token).ConfigureAwait(false);
            if (port is null)
            {
                return;
            }

            conn = await OpenAsync(client, port.Value, handshake.Token).ConfigureAwait(false);
            bool accepted;
            try
            {
                accepted = await conn.Accepted.Task.WaitAsync(handshake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                accepted = false;
                LogConnectTimedOut(port.Value, _connectTimeout.TotalSeconds);
            }

            if (!accepted)
            {
                return;
            }

            await Task.WhenAll(ToHostLoopAsync(conn), ToGuestLoopAsync(conn)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, the handshake timed out before the guest's driver came up, or the device stops.
        }
        finally
        {
            if (conn is not null)
            {
                lock (conn.Host.SyncRoot)
                {
                    if (conn.State != VsockConnectionState.Closed)
                    {
                        Close(conn, sendRst: true);
                        PumpFromHost(conn.Host);
                    }
                }
            }

            client.Dispose();
            Interlocked.Decrement(ref _clients);
        }
    }

    /// <summary>Reads <c>CONNECT &lt;port&gt;\n</c> a byte at a time (what follows the line is the client's data); null when malformed.</summary>
    private async Task<uint?> ReadConnectAsync(Socket client, CancellationToken cancellationToken)
    {
        var line = new byte[HybridVsock.MaxLineBytes];
        var length = 0;
        while (true)
        {
            if (await client.ReceiveAsync(line.AsMemory(length, 1), SocketFlags.None, cancellationToken).ConfigureAwait(false) == 0)
            {
                return null;
            }

            if (line[length] == (byte)'\n')
            {
                break;
            }

            if (++length == line.Length)
            {
                LogBadConnectLine($"longer than {HybridVsock.MaxLineBytes} bytes");
                return null;
            }
        }

        if (!HybridVsock.TryParseConnect(line.AsSpan(0, length), out var port))
        {
            LogBadConnectLine(System.Text.Encoding.ASCII.GetString(line, 0, length));
            return null;
        }

        return port;
    }

    /// <summary>Registers the connection and sends REQUEST, once the guest's driver is up.</summary>
    private async Task<VsockConnection> OpenAsync(Socket client, uint guestPort, CancellationToken cancellationToken)
    {
        while (true)
        {
            var host = _host;
            if (host is not null)
            {
                lock (host.SyncRoot)
                {
                    if (_host == host)
                    {
                        var hostPort = _nextHostPort;
                        while (_connections.ContainsKey(hostPort))
                        {
                            hostPort = hostPort == uint.MaxValue ? FirstHostPort : hostPort + 1;
                        }

                        _nextHostPort = hostPort == uint.MaxValue ? FirstHostPort : hostPort + 1;
                        var conn = new VsockConnection(hostPort, guestPort, client, host) { SendRequest = true };
                        _connections[hostPort] = conn;
                        Enqueue(conn);
                        PumpFromHost(host);
                        return conn;
                    }
                }
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false); // the guest's driver is not up (yet)
        }
    }

    /// <summary>Guest bytes to the Unix socket; each write returns credit. Ends when the guest shut down sending or the connection closed.</summary>
    private async Task ToHostLoopAsync(VsockConnection conn)
    {
        try
        {
            await SendAllAsync(conn.Socket, HybridVsock.OkLine(conn.HostPort)).ConfigureAwait(false);
            var reader = conn.ToHost.Reader;
            while (true)
            {
                var result = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                long sent = 0;
                foreach (var segment in result.Buffer)
                {
                    await SendAllAsync(conn.Socket, segment).ConfigureAwait(false);
                    sent += segment.Length;
                }

                reader.AdvanceTo(result.Buffer.End);
                if (sent > 0)
                {
                    lock (conn.Host.SyncRoot)
                    {
                        if (conn.State == VsockConnectionState.Closed)
                        {
                            return;
                        }

                        conn.FwdCnt += (uint)sent;
                        OfferCredit(conn);
                        PumpFromHost(conn.Host);
                    }
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }

            await reader.CompleteAsync().ConfigureAwait(false);
            lock (conn.Host.SyncRoot)
            {
                if (conn.State == VsockConnectionState.Closed)
                {
                    return;
                }

                conn.Socket.Shutdown(SocketShutdown.Send);
                conn.ToHostDone = true;
                CheckFinished(conn);
                PumpFromHost(conn.Host);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            HostGone(conn);
        }
    }

    /// <summary>Unix-socket bytes towards the guest, never more than its credit allows. Ends at the client's EOF or when the connection closed.</summary>
    private async Task ToGuestLoopAsync(VsockConnection conn)
    {
        var scratch = new byte[VsockConnection.ToGuestCapacity];
        try
        {
            while (true)
            {
                int allowed;
                lock (conn.Host.SyncRoot)
                {
                    if (conn.State == VsockConnectionState.Closed || (conn.GuestShutdown & ShutdownReceive) != 0)
                    {
                        return;
                    }

                    allowed = (int)Math.Min((long)conn.PeerCredit - conn.ToGuestCount, VsockConnection.ToGuestCapacity - conn.ToGuestCount);
                }

                if (allowed <= 0)
                {
                    await conn.ReaderWake.WaitAsync(_stop.Token).ConfigureAwait(false);
                    continue;
                }

                var n = await conn.Socket.ReceiveAsync(scratch.AsMemory(0, allowed), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                lock (conn.Host.SyncRoot)
                {
                    if (conn.State == VsockConnectionState.Closed)
                    {
                        return;
                    }

                    if (n == 0)
                    {
                        conn.HostEof = true;
                        conn.SendShutdown |= ShutdownSend;
                        Enqueue(conn);
                        PumpFromHost(conn.Host);
                        return;
                    }

                    if (conn.ToGuestStart + conn.ToGuestCount + n > conn.ToGuest.Length)
                    {
                        conn.ToGuest.AsSpan(conn.ToGuestStart, conn.ToGuestCount).CopyTo(conn.ToGuest);
                        conn.ToGuestStart = 0;
                    }

                    scratch.AsSpan(0, n).CopyTo(conn.ToGuest.AsSpan(conn.ToGuestStart + conn.ToGuestCount));
                    conn.ToGuestCount += n;
                    Enqueue(conn);
                    PumpFromHost(conn.Host);
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            HostGone(conn);
        }
    }

    /// <summary>The client's socket failed (reset, closed under a write): the guest gets an RST.</summary>
    private void HostGone(VsockConnection conn)
    {
        lock (conn.Host.SyncRoot)
        {
            if (conn.State != VsockConnectionState.Closed)
            {
                LogHostGone(conn.GuestPort, conn.HostPort);
                Close(conn, sendRst: true);
                PumpFromHost(conn.Host);
            }
        }
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var n = await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[n..];
        }
    }
}
