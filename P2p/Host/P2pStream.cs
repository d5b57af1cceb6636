using Formation.P2p.Yamux;

namespace Formation.P2p.Host;

/// <summary>A negotiated stream: the yamux stream, the protocol both sides agreed on, and its connection.</summary>
public sealed record P2pStream(YamuxStream Stream, string Protocol, P2pConnection Connection) : IDisposable
{
    /// <summary>Closes the stream (FIN, then reset if the peer never closes its side).</summary>
    public void Dispose() => Stream.Dispose();
}
