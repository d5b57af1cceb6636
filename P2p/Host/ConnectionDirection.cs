namespace Formation.P2p.Host;

/// <summary>Who opened a connection.</summary>
public enum ConnectionDirection
{
    /// <summary>The remote peer dialled this node.</summary>
    Inbound,

    /// <summary>This node dialled the remote peer.</summary>
    Outbound,
}
