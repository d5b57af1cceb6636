using System.Diagnostics;
using System.Security.Cryptography;
using Formation.P2p.Host;
using Formation.P2p.Identity;

namespace Formation.P2p.Ping;

/// <summary>
/// Ping (<c>/ipfs/ping/1.0.0</c>, ping/ping.md): the dialer sends 32 random bytes, the responder echoes every 32-byte
/// block until the dialer closes, then closes its side. js-libp2p's DHT pings a peer before it enters its routing table.
/// </summary>
public sealed class PingService
{
    /// <summary>The protocol id.</summary>
    public const string ProtocolId = "/ipfs/ping/1.0.0";

    private const int Size = 32;
    private readonly P2pHost _host;

    /// <summary>Registers the responder on <paramref name="host"/>.</summary>
    public PingService(P2pHost host)
    {
        _host = host;
        host.Handle(ProtocolId, HandleAsync);
    }

    /// <summary>Measures one round trip to <paramref name="peer"/> (dialling it if needed) and records it in the peer store.</summary>
    public async Task<TimeSpan> PingAsync(PeerId peer, CancellationToken cancellationToken)
    {
        using var stream = await _host.NewStreamAsync(peer, [ProtocolId], cancellationToken).ConfigureAwait(false);
        var payload = RandomNumberGenerator.GetBytes(Size);
        var echo = new byte[Size];
        var started = Stopwatch.GetTimestamp();
        await stream.Stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        await stream.Stream.ReadExactlyAsync(echo, cancellationToken).ConfigureAwait(false);
        var rtt = Stopwatch.GetElapsedTime(started);
        if (!echo.AsSpan().SequenceEqual(payload))
        {
            throw new P2pProtocolException($"ping: {peer} echoed different bytes");
        }

        await stream.Stream.CloseWriteAsync(cancellationToken).ConfigureAwait(false);
        _host.Peers.SetLatency(peer, rtt);
        return rtt;
    }

    private static async Task HandleAsync(P2pStream stream, CancellationToken cancellationToken)
    {
        var block = new byte[Size];
        while (true)
        {
            var read = 0;
            while (read < Size)
            {
                var n = await stream.Stream.ReadAsync(block.AsMemory(read), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    await stream.Stream.CloseWriteAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }

                read += n;
            }

            await stream.Stream.WriteAsync(block, cancellationToken).ConfigureAwait(false);
        }
    }
}
