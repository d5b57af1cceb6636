using System.Net.Sockets;
using Formation.P2p.Addressing;
using Formation.P2p.Identity;
using Formation.P2p.Multistream;

namespace Formation.P2p.Host;

/// <summary>Outbound connections.</summary>
public sealed partial class P2pHost
{
    /// <summary>Connects to a full address (<c>/ip4/…/tcp/…/p2p/12D3KooW…</c>); the <c>/p2p</c> part is verified by Noise.</summary>
    public Task<P2pConnection> ConnectAsync(Multiaddr address, CancellationToken cancellationToken)
    {
        var peer = address.PeerId
            ?? throw new ArgumentException($"{address} does not name a peer: append /p2p/<PeerId> (the node prints its address at start)");
        return DialAsync(peer, [address], cancellationToken);
    }

    /// <summary>
    /// Returns an open connection to <paramref name="peer"/>, or dials <paramref name="addresses"/> and the peer's
    /// known addresses. Concurrent dials to one peer share one attempt.
    /// </summary>
    public async Task<P2pConnection> DialAsync(PeerId peer, IReadOnlyList<Multiaddr> addresses, CancellationToken cancellationToken)
    {
        if (peer == PeerId)
        {
            throw new ArgumentException("a node cannot dial itself", nameof(peer));
        }

        if (ConnectionsTo(peer) is [var existing, ..])
        {
            return existing;
        }

        Task<P2pConnection> dial;
        lock (_lock)
        {
            if (!_dials.TryGetValue(peer, out dial!))
            {
                dial = DialNewAsync(peer, addresses);
                _dials[peer] = dial;
                _ = dial.ContinueWith(
                    _ =>
                    {
                        lock (_lock)
                        {
                            _dials.Remove(peer);
                        }
                    },
                    TaskScheduler.Default);
            }
        }

        return await dial.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<P2pConnection> DialNewAsync(PeerId peer, IReadOnlyList<Multiaddr> addresses)
    {
        var candidates = addresses.Select(a => a.WithoutPeerId())
            .Concat(Peers.Get(peer)?.Addresses ?? [])
            .Where(a => a.ToTcpEndPoint() is not null)
            .Distinct()
            .ToList();
        if (candidates.Count == 0)
        {
            throw new IOException($"no TCP address is known for {peer}");
        }

        var errors = new List<string>();
        foreach (var address in candidates)
        {
            try
            {
                return await DialOneAsync(peer, address).ConfigureAwait(false);
            }
            catch (Exception e) when (e is P2pProtocolException or IOException or OperationCanceledException or SocketException or ProtocolNotSupportedException)
            {
                errors.Add($"{address}: {e.Message}");
            }
        }

        throw new IOException($"could not connect to {peer}: {string.Join("; ", errors)}");
    }

    private async Task<P2pConnection> DialOneAsync(PeerId peer, Multiaddr address)
    {
        if (!TryReserve())
        {
            throw new IOException($"this node already has {Options.MaxConnections} connections (the limit)");
        }

        try
        {
            var endPoint = address.ToTcpEndPoint()!;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            timeout.CancelAfter(Options.HandshakeTimeout);
            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            var stream = new NetworkStream(socket, ownsSocket: true);
            Yamux.YamuxSession session;
            try
            {
                (session, _) = await ConnectionUpgrader.UpgradeAsync(stream, dialer: true, Options, peer, _logger, timeout.Token).ConfigureAwait(false);
            }
            catch
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            var connection = new P2pConnection(this, session, peer, address, ConnectionDirection.Outbound);
            if (!TryAdd(connection))
            {
                await session.DisposeAsync().ConfigureAwait(false);
                return ConnectionsTo(peer) is [var existing, ..] ? existing : throw new IOException($"too many connections to {peer}");
            }

            OnOpened(connection);
            return connection;
        }
        finally
        {
            Release();
        }
    }
}
