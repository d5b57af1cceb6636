namespace Formation.P2p.Yamux;

/// <summary>Limits of one yamux session; a peer that breaks them loses its connection.</summary>
public sealed class YamuxOptions
{
    /// <summary>The spec's initial window of every stream in each direction (256 KiB).</summary>
    public const int InitialWindow = 256 * 1024;

    /// <summary>How far a stream's receive window may grow while its reader keeps up (js-libp2p: 16 MiB).</summary>
    public int MaxReceiveWindow { get; set; } = 16 * 1024 * 1024;

    /// <summary>Total receive window the session may grant beyond the initial windows, across all streams.</summary>
    public long SessionWindowBudget { get; set; } = 32L * 1024 * 1024;

    /// <summary>Largest send window a peer may grant us (window updates past it are abuse).</summary>
    public long MaxSendWindow { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest Data frame this side sends: 12 + 65507 bytes fill one Noise frame exactly.</summary>
    public int MaxDataFrame { get; set; } = 65507;

    /// <summary>Streams the peer may have open at once; more are refused with RST.</summary>
    public int MaxInboundStreams { get; set; } = 256;

    /// <summary>Streams this side may have open at once.</summary>
    public int MaxOutboundStreams { get; set; } = 256;

    /// <summary>Refused inbound streams after which the peer counts as flooding and the connection is closed.</summary>
    public int MaxRefusedStreams { get; set; } = 256;

    /// <summary>Inbound streams not yet accepted by the application; more are refused.</summary>
    public int AcceptBacklog { get; set; } = 64;

    /// <summary>Control frames (pings, window updates, RSTs) queued behind a peer that does not read.</summary>
    public int MaxPendingControlFrames { get; set; } = 1024;

    /// <summary>How long a locally closed stream waits for the peer's FIN before it is reset.</summary>
    public TimeSpan CloseLinger { get; set; } = TimeSpan.FromSeconds(10);
}
