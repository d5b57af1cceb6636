using Formation.P2p.Encoding;
using Formation.P2p.Host;
using Formation.P2p.Identity;
using Formation.P2p.Multistream;
using Microsoft.Extensions.Logging;

namespace Formation.P2p.Identify;

/// <summary>
/// Identify (<c>/ipfs/id/1.0.0</c>) and identify push: tells peers this node's key, listen addresses, protocols and
/// the address it sees them at; identifies every new connection, as js-libp2p does, and fills the peer store.
/// </summary>
public sealed partial class IdentifyService
{
    /// <summary>Identify.</summary>
    public const string ProtocolId = "/ipfs/id/1.0.0";

    /// <summary>Identify push (the peer announces a change).</summary>
    public const string PushProtocolId = "/ipfs/id/push/1.0.0";

    private const int MaxMessages = 8;
    private readonly P2pHost _host;
    private readonly ILogger _logger;

    /// <summary>Registers the handlers and identifies every new connection of <paramref name="host"/>.</summary>
    public IdentifyService(P2pHost host)
    {
        _host = host;
        _logger = host.LoggerFactory.CreateLogger<IdentifyService>();
        host.Handle(ProtocolId, HandleAsync);
        host.Handle(PushProtocolId, HandlePushAsync);
        host.ConnectionOpened += connection => _ = IdentifyQuietlyAsync(connection);
    }

    /// <summary>Raised when a peer was identified (on connect or by a push).</summary>
    public event Action<P2pConnection, IdentifyMessage>? PeerIdentified;

    /// <summary>Asks the peer of <paramref name="connection"/> who it is; checks its key against the connection's PeerId.</summary>
    public async Task<IdentifyMessage> IdentifyAsync(P2pConnection connection, CancellationToken cancellationToken)
    {
        using var stream = await connection.OpenStreamAsync(ProtocolId, cancellationToken).ConfigureAwait(false);
        await stream.Stream.CloseWriteAsync(cancellationToken).ConfigureAwait(false);
        var message = await ReadAsync(stream, cancellationToken).ConfigureAwait(false);
        Accept(connection, message);
        return message;
    }

    /// <summary>The message this node sends to the peer of <paramref name="connection"/>.</summary>
    public IdentifyMessage LocalMessage(P2pConnection connection) => new(
        _host.Options.Identity.PublicKeyProto, _host.ListenAddresses, _host.Protocols, connection.RemoteAddress, "ipfs/0.1.0", _host.Options.AgentVersion);

    private async Task IdentifyQuietlyAsync(P2pConnection connection)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_host.Options.StreamNegotiationTimeout * 2);
            await IdentifyAsync(connection, timeout.Token).ConfigureAwait(false);
        }
        catch (P2pProtocolException e)
        {
            LogBadIdentify(_logger, connection.RemotePeer, e.Message);
            await connection.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ProtocolNotSupportedException)
        {
            LogIdentifyFailed(_logger, connection.RemotePeer, e.Message);
        }
    }

    private async Task HandleAsync(P2pStream stream, CancellationToken cancellationToken)
    {
        await LengthPrefixed.WriteAsync(stream.Stream, LocalMessage(stream.Connection).Encode(), cancellationToken).ConfigureAwait(false);
        await stream.Stream.CloseWriteAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task HandlePushAsync(P2pStream stream, CancellationToken cancellationToken)
    {
        Accept(stream.Connection, await ReadAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IdentifyMessage> ReadAsync(P2pStream stream, CancellationToken cancellationToken)
    {
        IdentifyMessage? merged = null;
        for (var i = 0; i < MaxMessages; i++)
        {
            var bytes = await LengthPrefixed.ReadAsync(stream.Stream, IdentifyMessage.MaxLength, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                break;
            }

            var message = IdentifyMessage.Decode(bytes);
            merged = merged is null ? message : merged.Merge(message);
        }

        return merged ?? throw new P2pProtocolException("identify: the peer closed the stream without a message");
    }

    private void Accept(P2pConnection connection, IdentifyMessage message)
    {
        if (message.PublicKey is not null && PeerId.FromPublicKeyProto(message.PublicKey) != connection.RemotePeer)
        {
            throw new P2pProtocolException("identify: the public key does not match the connection's authenticated peer");
        }

        _host.Peers.SetIdentified(connection.RemotePeer, message.ListenAddresses, message.Protocols, message.AgentVersion);
        LogIdentified(_logger, connection.RemotePeer, message.Protocols.Count, message.ListenAddresses.Count);
        PeerIdentified?.Invoke(connection, message);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "identify: {Peer} speaks {Protocols} protocols at {Addresses} addresses")]
    private static partial void LogIdentified(ILogger logger, PeerId peer, int protocols, int addresses);

    [LoggerMessage(Level = LogLevel.Information, Message = "identify: {Peer} sent a bad identify message, closing: {Reason}")]
    private static partial void LogBadIdentify(ILogger logger, PeerId peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "identify: {Peer} did not answer: {Reason}")]
    private static partial void LogIdentifyFailed(ILogger logger, PeerId peer, string reason);
}
