using Formation.P2p.Addressing;
using Formation.P2p.Identity;
using Formation.P2p.Yamux;

namespace Formation.P2p.Host;

/// <summary>Identity, listen addresses and limits of a <see cref="P2pHost"/>.</summary>
public sealed class P2pHostOptions
{
    /// <summary>The node's identity (persist it with <see cref="IdentityFile"/> so the PeerId survives restarts).</summary>
    public required Ed25519KeyPair Identity { get; init; }

    /// <summary>TCP addresses to listen on, e.g. <c>/ip4/0.0.0.0/tcp/4001</c>; port 0 picks a free port.</summary>
    public IList<Multiaddr> ListenAddresses { get; init; } = [];

    /// <summary>Sent in identify.</summary>
    public string AgentVersion { get; init; } = "formation-p2p/1.0";

    /// <summary>Open connections in total (inbound, outbound and still handshaking); more are refused.</summary>
    public int MaxConnections { get; init; } = 256;

    /// <summary>Open connections with one peer (two allow a simultaneous dial); more are closed.</summary>
    public int MaxConnectionsPerPeer { get; init; } = 2;

    /// <summary>Inbound connections still handshaking; more are refused.</summary>
    public int MaxPendingInbound { get; init; } = 64;

    /// <summary>TCP connect + multistream + Noise + muxer must finish within this.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A stream's protocol negotiation must finish within this.</summary>
    public TimeSpan StreamNegotiationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Offer the muxer inside the Noise handshake (inlined muxer negotiation, saves a round trip).</summary>
    public bool InlineMuxerNegotiation { get; init; } = true;

    /// <summary>Limits of each connection's yamux session.</summary>
    public YamuxOptions Yamux { get; init; } = new();

    /// <summary>Peers remembered in the peer store.</summary>
    public int MaxKnownPeers { get; init; } = 4096;
}
