namespace Formation.Dashboard.Cluster;

/// <summary>Whether the dashboard can talk to the cluster right now.</summary>
public enum ConnectionState
{
    /// <summary>No silo has answered yet (the first connection, or a rebuilt client).</summary>
    Connecting,

    /// <summary>A silo answers.</summary>
    Connected,

    /// <summary>The connection was there and no silo answers any more; the dashboard keeps trying.</summary>
    Lost,
}
