namespace Formation.Silo.Discovery;

public sealed partial class DiscoveryService
{
    [LoggerMessage(Level = LogLevel.Information, Message = "libp2p: PeerId {PeerId} listening on {Addresses} (identity {IdentityPath}; mDNS {Mdns})")]
    private partial void LogListening(string peerId, string addresses, string identityPath, string mdns);

    [LoggerMessage(Level = LogLevel.Information, Message = "libp2p: joined through {Connected} of {Count} peers")]
    private partial void LogJoined(int connected, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "libp2p: no --join peer answered yet ({Peers}); retrying")]
    private partial void LogJoinWaiting(string peers);

    [LoggerMessage(Level = LogLevel.Debug, Message = "libp2p: record {Sequence} published; {Connected} connected peers; {Known} node records known")]
    private partial void LogRefreshed(ulong sequence, int connected, int known);

    [LoggerMessage(Level = LogLevel.Information, Message = "libp2p: mDNS found {PeerId}")]
    private partial void LogMdnsFound(string peerId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "libp2p: {PeerId} did not answer: {Reason}")]
    private partial void LogPeerUnreachable(string peerId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "libp2p: refreshing the node record failed: {Reason}")]
    private partial void LogRefreshFailed(string reason);
}
