using Formation.P2p.Addressing;
using Formation.P2p.Identity;
using Formation.P2p.Multistream;
using Formation.P2p.Yamux;

namespace Formation.P2p.Host;

/// <summary>A secured, multiplexed connection to one authenticated peer.</summary>
public sealed class P2pConnection
{
    private readonly P2pHost _host;

    internal P2pConnection(P2pHost host, YamuxSession session, PeerId remotePeer, Multiaddr remoteAddress, ConnectionDirection direction)
    {
        _host = host;
        Session = session;
        RemotePeer = remotePeer;
        RemoteAddress = remoteAddress;
        Direction = direction;
    }

    /// <summary>The authenticated remote peer.</summary>
    public PeerId RemotePeer { get; }

    /// <summary>The remote TCP address as seen by this node (identify's observed address).</summary>
    public Multiaddr RemoteAddress { get; }

    /// <summary>Who dialled.</summary>
    public ConnectionDirection Direction { get; }

    /// <summary>When the connection finished its handshake.</summary>
    public DateTimeOffset OpenedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>The yamux session.</summary>
    public YamuxSession Session { get; }

    /// <summary>True once closed.</summary>
    public bool IsClosed => Session.IsClosed;

    /// <summary>Opens a stream and negotiates the first of <paramref name="protocols"/> the peer accepts.</summary>
    public async Task<P2pStream> OpenStreamAsync(IReadOnlyList<string> protocols, CancellationToken cancellationToken)
    {
        var stream = await Session.OpenStreamAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_host.Options.StreamNegotiationTimeout);
            var protocol = await MultistreamSelect.SelectAsync(stream, protocols, timeout.Token).ConfigureAwait(false);
            return new P2pStream(stream, protocol, this);
        }
        catch
        {
            stream.Reset();
            throw;
        }
    }

    /// <summary>Opens a stream for one protocol.</summary>
    public Task<P2pStream> OpenStreamAsync(string protocol, CancellationToken cancellationToken) => OpenStreamAsync([protocol], cancellationToken);

    /// <summary>Closes the connection (GoAway).</summary>
    public ValueTask CloseAsync() => Session.DisposeAsync();
}
