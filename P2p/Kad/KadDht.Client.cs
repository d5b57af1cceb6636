using Formation.P2p.Encoding;
using Formation.P2p.Identity;
using Formation.P2p.Multistream;

namespace Formation.P2p.Kad;

/// <summary>The client side: single RPCs and the iterative lookups built on them.</summary>
public sealed partial class KadDht
{
    /// <summary>The k closest peers to <paramref name="key"/> that answered a FIND_NODE lookup.</summary>
    public async Task<IReadOnlyList<PeerId>> GetClosestPeersAsync(byte[] key, CancellationToken cancellationToken) =>
        await LookupAsync(key, KadMessage.Request(KadMessageType.FindNode, key), (_, _) => false, cancellationToken).ConfigureAwait(false);

    /// <summary>Finds the addresses of <paramref name="peer"/> through the DHT; null if no one knows it.</summary>
    public async Task<KadPeer?> FindPeerAsync(PeerId peer, CancellationToken cancellationToken)
    {
        KadPeer? found = null;
        var key = peer.ToBytes();
        await LookupAsync(key, KadMessage.Request(KadMessageType.FindNode, key), (_, response) =>
        {
            found ??= response.CloserPeers.FirstOrDefault(p => p.Id == peer && p.Addresses.Count > 0);
            return found is not null;
        }, cancellationToken).ConfigureAwait(false);
        return found;
    }

    /// <summary>Stores a record here and on the k closest peers; returns how many peers accepted it.</summary>
    public async Task<int> PutValueAsync(byte[] key, byte[] value, CancellationToken cancellationToken)
    {
        var record = new KadRecord(key, value, null);
        if (!TryStore(record, out var reason))
        {
            throw new ArgumentException($"cannot put the record: {reason}");
        }

        var closest = await GetClosestPeersAsync(key, cancellationToken).ConfigureAwait(false);
        var request = new KadMessage(KadMessageType.PutValue, key, record, [], []);
        var results = await Task.WhenAll(closest.Select(async peer =>
        {
            var response = await TryRequestAsync(peer, request, expectResponse: true, cancellationToken).ConfigureAwait(false);
            return response is not null;
        })).ConfigureAwait(false);
        return results.Count(ok => ok);
    }

    /// <summary>The best valid value for <paramref name="key"/> here or in the DHT; null if none is found.</summary>
    public async Task<byte[]?> GetValueAsync(byte[] key, CancellationToken cancellationToken)
    {
        var validator = ValidatorFor(key)
            ?? throw new ArgumentException($"no validator is registered for the namespace of the key '{System.Text.Encoding.UTF8.GetString(key)}'");

        var values = new List<byte[]>();
        if (Store.Get(key) is { } local)
        {
            values.Add(local.Value);
        }

        await LookupAsync(key, KadMessage.Request(KadMessageType.GetValue, key), (_, response) =>
        {
            if (response.Record is { } record && record.Key.AsSpan().SequenceEqual(key) && IsValid(key, record.Value, out var _, out var _))
            {
                lock (values)
                {
                    values.Add(record.Value);
                }
            }

            return false;
        }, cancellationToken).ConfigureAwait(false);
        return values.Count == 0 ? null : values[validator.Select(key, values)];
    }

    /// <summary>Announces this node as a provider of <paramref name="key"/> to the k closest peers.</summary>
    public async Task<int> ProvideAsync(byte[] key, CancellationToken cancellationToken)
    {
        var self = new KadPeer(_host.PeerId, _host.ListenAddresses);
        Store.AddProvider(key, self);
        var closest = await GetClosestPeersAsync(key, cancellationToken).ConfigureAwait(false);
        var request = new KadMessage(KadMessageType.AddProvider, key, null, [], [self]);
        var results = await Task.WhenAll(closest.Select(peer => TryRequestAsync(peer, request, expectResponse: false, cancellationToken))).ConfigureAwait(false);
        return results.Count(r => r is not null);
    }

    /// <summary>The providers of <paramref name="key"/> known here and to the peers closest to it.</summary>
    public async Task<IReadOnlyList<KadPeer>> FindProvidersAsync(byte[] key, CancellationToken cancellationToken)
    {
        var found = new Dictionary<PeerId, KadPeer>();
        foreach (var p in Store.GetProviders(key))
        {
            found[p.Id] = p;
        }

        await LookupAsync(key, KadMessage.Request(KadMessageType.GetProviders, key), (_, response) =>
        {
            lock (found)
            {
                foreach (var p in response.ProviderPeers)
                {
                    _host.Peers.AddAddresses(p.Id, p.Addresses);
                    found.TryAdd(p.Id, p);
                }
            }

            return false;
        }, cancellationToken).ConfigureAwait(false);
        return [.. found.Values];
    }

    /// <summary>
    /// The iterative lookup (spec §Peer routing): query the α closest unqueried candidates in parallel, merge their
    /// closer peers, and stop when the k closest candidates have all answered (or <paramref name="onResponse"/> says so).
    /// </summary>
    private async Task<IReadOnlyList<PeerId>> LookupAsync(byte[] key, KadMessage request, Func<PeerId, KadMessage, bool> onResponse, CancellationToken cancellationToken)
    {
        var target = KadKey.Of(key);
        var candidates = new Dictionary<PeerId, LookupState>();
        foreach (var peer in RoutingTable.Closest(target, Options.K))
        {
            candidates[peer] = new LookupState(KadKey.Of(peer).DistanceTo(target));
        }

        var inflight = new Dictionary<Task<KadMessage?>, PeerId>();
        var done = false;
        while (!done)
        {
            var closest = candidates.Where(c => !c.Value.Failed).OrderBy(c => c.Value.Distance).Take(Options.K).ToList();
            foreach (var (peer, state) in closest.Where(c => !c.Value.Queried).Take(Options.Alpha - inflight.Count))
            {
                state.Queried = true;
                inflight[TryRequestAsync(peer, request, expectResponse: true, cancellationToken)] = peer;
            }

            if (inflight.Count == 0)
            {
                break;
            }

            var finished = await Task.WhenAny(inflight.Keys).ConfigureAwait(false);
            var from = inflight[finished];
            inflight.Remove(finished);
            var response = await finished.ConfigureAwait(false);
            if (response is null)
            {
                candidates[from].Failed = true;
                continue;
            }

            candidates[from].Responded = true;
            AddPeer(from);
            foreach (var closer in response.CloserPeers)
            {
                if (closer.Id == _host.PeerId || candidates.ContainsKey(closer.Id))
                {
                    continue;
                }

                _host.Peers.AddAddresses(closer.Id, closer.Addresses);
                if (closer.Addresses.Count > 0 || _host.ConnectionsTo(closer.Id).Count > 0)
                {
                    candidates[closer.Id] = new LookupState(KadKey.Of(closer.Id).DistanceTo(target));
                }
            }

            done = onResponse(from, response);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return [.. candidates.Where(c => c.Value.Responded).OrderBy(c => c.Value.Distance).Take(Options.K).Select(c => c.Key)];
    }

    /// <summary>One RPC on a fresh stream; null (and the peer leaves the table if unreachable) on failure.</summary>
    private async Task<KadMessage?> TryRequestAsync(PeerId peer, KadMessage request, bool expectResponse, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
            timeout.CancelAfter(Options.RequestTimeout);
            using var stream = await _host.NewStreamAsync(peer, [Options.ProtocolId], timeout.Token).ConfigureAwait(false);
            await LengthPrefixed.WriteAsync(stream.Stream, request.Encode(), timeout.Token).ConfigureAwait(false);
            if (!expectResponse)
            {
                await stream.Stream.CloseWriteAsync(timeout.Token).ConfigureAwait(false);
                return request;
            }

            var bytes = await LengthPrefixed.ReadAsync(stream.Stream, Options.MaxMessageSize, timeout.Token).ConfigureAwait(false)
                ?? throw new IOException("the peer closed the stream without answering");
            var response = KadMessage.Decode(bytes);
            if (response.Type != request.Type)
            {
                throw new P2pProtocolException($"kad: asked {request.Type}, the peer answered {response.Type}");
            }

            return response;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ProtocolNotSupportedException)
        {
            LogQueryFailed(_logger, peer, e.Message);
            if (_host.ConnectionsTo(peer).Count == 0)
            {
                RoutingTable.Remove(peer);
            }

            return null;
        }
        catch (P2pProtocolException e)
        {
            LogQueryFailed(_logger, peer, e.Message);
            RoutingTable.Remove(peer);
            foreach (var connection in _host.ConnectionsTo(peer))
            {
                await connection.CloseAsync().ConfigureAwait(false);
            }

            return null;
        }
    }

    private sealed class LookupState(UInt256Bytes distance)
    {
        public UInt256Bytes Distance { get; } = distance;

        public bool Queried { get; set; }

        public bool Responded { get; set; }

        public bool Failed { get; set; }
    }
}
