namespace Formation.Dashboard.Cluster;

/// <summary>
/// The connection as the banner shows it. <see cref="Generation"/> grows with every (re)connection: live pages take a
/// new snapshot and subscribe again when it changes, since subscriptions of a lost connection may be gone.
/// </summary>
public sealed record ConnectionStatus(ConnectionState State, string Message, int Generation, DateTimeOffset Since)
{
    public bool IsConnected => State == ConnectionState.Connected;
}
