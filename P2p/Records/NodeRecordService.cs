using Formation.P2p.Addressing;
using Formation.P2p.Encoding;
using Formation.P2p.Host;
using Formation.P2p.Identity;
using Formation.P2p.Multistream;
using Microsoft.Extensions.Logging;

namespace Formation.P2p.Records;

/// <summary>
/// Formation's node records: <c>/formation/node/1.0.0</c> exchanges signed records (the dialer sends its own, the
/// listener answers with its own, each <c>uvarint(len) || envelope</c>, empty when a node has none yet); every peer
/// that identifies with the protocol gets an exchange. Records also go into the DHT under
/// <see cref="NodeRecordKeys.RecordKey"/>, and members provide <see cref="NodeRecordKeys.ClusterKey"/>.
/// </summary>
public sealed partial class NodeRecordService
{
    /// <summary>The protocol id.</summary>
    public const string ProtocolId = "/formation/node/1.0.0";

    private readonly P2pNode _node;
    private readonly ILogger _logger;
    private byte[] _local = [];
    private ulong _sequence;

    /// <summary>Registers the protocol on <paramref name="node"/> for the cluster of <paramref name="book"/>.</summary>
    public NodeRecordService(P2pNode node, NodeRecordBook book)
    {
        _node = node;
        Book = book;
        _logger = node.Host.LoggerFactory.CreateLogger<NodeRecordService>();
        node.Host.Handle(ProtocolId, HandleAsync);
        node.Identify.PeerIdentified += (connection, message) =>
        {
            if (message.Protocols.Contains(ProtocolId))
            {
                _ = ExchangeQuietlyAsync(connection.RemotePeer);
            }
        };
    }

    /// <summary>The records learnt so far.</summary>
    public NodeRecordBook Book { get; }

    /// <summary>This node's current record, or null before <see cref="PublishAsync"/>.</summary>
    public NodeRecord? Local { get; private set; }

    /// <summary>
    /// Signs <paramref name="record"/> with the next sequence number (at least the wall clock in ms, so a restarted node
    /// still goes up), stores it in the DHT and provides the cluster key. Returns the record as signed.
    /// </summary>
    public async Task<NodeRecord> PublishAsync(NodeRecord record, CancellationToken cancellationToken)
    {
        _sequence = Math.Max(_sequence + 1, (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var signed = record with { Sequence = _sequence, PeerId = _node.Host.PeerId, ClusterId = Book.ClusterId, IssuedAt = DateTimeOffset.UtcNow };
        var envelope = signed.Seal(_node.Host.Options.Identity).Encode();
        Volatile.Write(ref _local, envelope);
        Local = signed;
        Book.TryAccept(envelope, out _);
        await _node.Dht.PutValueAsync(NodeRecordKeys.RecordKey(Book.ClusterId, _node.Host.PeerId), envelope, cancellationToken).ConfigureAwait(false);
        await _node.Dht.ProvideAsync(NodeRecordKeys.ClusterKey(Book.ClusterId), cancellationToken).ConfigureAwait(false);
        return signed;
    }

    /// <summary>Joins through <paramref name="bootstrap"/> (full addresses) and discovers the cluster's members.</summary>
    public async Task<int> JoinAsync(IEnumerable<Multiaddr> bootstrap, CancellationToken cancellationToken)
    {
        await _node.Dht.BootstrapAsync(bootstrap, cancellationToken).ConfigureAwait(false);
        return await DiscoverAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Finds the cluster's providers in the DHT and fetches their records; returns how many records are known.</summary>
    public async Task<int> DiscoverAsync(CancellationToken cancellationToken)
    {
        var members = await _node.Dht.FindProvidersAsync(NodeRecordKeys.ClusterKey(Book.ClusterId), cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(members.Where(m => m.Id != _node.Host.PeerId && Book.Get(m.Id) is null).Select(async member =>
        {
            var value = await _node.Dht.GetValueAsync(NodeRecordKeys.RecordKey(Book.ClusterId, member.Id), cancellationToken).ConfigureAwait(false);
            if (value is not null)
            {
                Book.TryAccept(value, out _);
            }
        })).ConfigureAwait(false);
        return Book.All.Count;
    }

    /// <summary>Sends this node's record to <paramref name="peer"/> and takes its record in return.</summary>
    public async Task ExchangeAsync(PeerId peer, CancellationToken cancellationToken)
    {
        using var stream = await _node.Host.NewStreamAsync(peer, [ProtocolId], cancellationToken).ConfigureAwait(false);
        await LengthPrefixed.WriteAsync(stream.Stream, Volatile.Read(ref _local), cancellationToken).ConfigureAwait(false);
        await stream.Stream.CloseWriteAsync(cancellationToken).ConfigureAwait(false);
        var theirs = await LengthPrefixed.ReadAsync(stream.Stream, NodeRecordVerifier.MaxEnvelopeSize, cancellationToken).ConfigureAwait(false);
        Take(peer, theirs);
    }

    private async Task HandleAsync(P2pStream stream, CancellationToken cancellationToken)
    {
        var theirs = await LengthPrefixed.ReadAsync(stream.Stream, NodeRecordVerifier.MaxEnvelopeSize, cancellationToken).ConfigureAwait(false);
        Take(stream.Connection.RemotePeer, theirs);
        await LengthPrefixed.WriteAsync(stream.Stream, Volatile.Read(ref _local), cancellationToken).ConfigureAwait(false);
        await stream.Stream.CloseWriteAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Take(PeerId from, byte[]? envelope)
    {
        if (envelope is not { Length: > 0 })
        {
            return;
        }

        if (Book.TryAccept(envelope, out var reason))
        {
            LogAccepted(_logger, from);
        }
        else
        {
            LogIgnored(_logger, from, reason);
        }
    }

    private async Task ExchangeQuietlyAsync(PeerId peer)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await ExchangeAsync(peer, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or P2pProtocolException or ProtocolNotSupportedException)
        {
            LogExchangeFailed(_logger, peer, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "node records: accepted a record from {Peer}")]
    private static partial void LogAccepted(ILogger logger, PeerId peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "node records: ignored a record from {Peer}: {Reason}")]
    private static partial void LogIgnored(ILogger logger, PeerId peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "node records: exchange with {Peer} failed: {Reason}")]
    private static partial void LogExchangeFailed(ILogger logger, PeerId peer, string reason);
}
