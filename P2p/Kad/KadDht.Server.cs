using Formation.P2p.Encoding;
using Formation.P2p.Host;
using Formation.P2p.Identity;

namespace Formation.P2p.Kad;

/// <summary>The server side: answers each request on a stream until the peer closes it.</summary>
public sealed partial class KadDht
{
    private async Task HandleAsync(P2pStream stream, CancellationToken cancellationToken)
    {
        for (var i = 0; i < Options.MaxRequestsPerStream; i++)
        {
            var bytes = await LengthPrefixed.ReadAsync(stream.Stream, Options.MaxMessageSize, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                break;
            }

            var response = Answer(KadMessage.Decode(bytes), stream.Connection.RemotePeer);
            if (response is not null)
            {
                await LengthPrefixed.WriteAsync(stream.Stream, response.Encode(), cancellationToken).ConfigureAwait(false);
            }
        }

        await stream.Stream.CloseWriteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The response to one request (null for ADD_PROVIDER, which has none).</summary>
    internal KadMessage? Answer(KadMessage request, PeerId from)
    {
        var key = request.Key;
        if (key is null && request.Type != KadMessageType.Ping)
        {
            throw new P2pProtocolException($"kad {request.Type} request without a key");
        }

        switch (request.Type)
        {
            case KadMessageType.FindNode:
                return request with { Record = null, CloserPeers = CloserPeers(key, from), ProviderPeers = [] };
            case KadMessageType.GetValue:
                return request with { Record = Store.Get(key), CloserPeers = CloserPeers(key, from), ProviderPeers = [] };
            case KadMessageType.PutValue:
                if (request.Record is null || !request.Record.Key.AsSpan().SequenceEqual(key))
                {
                    throw new P2pProtocolException("kad PUT_VALUE without a record for its key");
                }

                if (!TryStore(request.Record, out var reason))
                {
                    LogRecordRefused(_logger, System.Text.Encoding.UTF8.GetString(key!), reason);
                    throw new IOException($"record refused: {reason}");
                }

                return request;
            case KadMessageType.AddProvider:
                foreach (var provider in request.ProviderPeers.Where(p => p.Id == from))
                {
                    _host.Peers.AddAddresses(from, provider.Addresses);
                    Store.AddProvider(key, provider.Addresses.Count > 0 ? provider : provider with { Addresses = _host.Peers.Get(from)?.Addresses ?? [] });
                }

                return null;
            case KadMessageType.GetProviders:
                return request with { Record = null, ProviderPeers = Store.GetProviders(key), CloserPeers = CloserPeers(key, from) };
            default:
                return request;
        }
    }

    /// <summary>Validates a record against its namespace and keeps it if it beats the stored one.</summary>
    private bool TryStore(KadRecord record, out string reason)
    {
        if (!IsValid(record.Key, record.Value, out reason, out var validator))
        {
            return false;
        }

        var existing = Store.Get(record.Key);
        if (existing is not null && validator.Select(record.Key, [existing.Value, record.Value]) == 0 && !existing.Value.AsSpan().SequenceEqual(record.Value))
        {
            reason = "the stored record is newer";
            return false;
        }

        Store.Put(record);
        return true;
    }

    private bool IsValid(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out string reason, out IKadRecordValidator validator)
    {
        validator = null!;
        if (value.Length > Options.MaxValueSize)
        {
            reason = $"value of {value.Length} bytes exceeds {Options.MaxValueSize}";
            return false;
        }

        validator = ValidatorFor(key)!;
        if (validator is null)
        {
            reason = $"no validator for the namespace '{Namespace(key)}'";
            return false;
        }

        if (!validator.Validate(key, value))
        {
            reason = $"invalid '{Namespace(key)}' record";
            return false;
        }

        reason = "";
        return true;
    }

    private IKadRecordValidator? ValidatorFor(ReadOnlySpan<byte> key) =>
        Namespace(key) is { } ns ? _validators.GetValueOrDefault(ns) : null;

    /// <summary>The namespace of a <c>/namespace/…</c> key.</summary>
    private static string? Namespace(ReadOnlySpan<byte> key)
    {
        if (key.Length < 2 || key[0] != '/')
        {
            return null;
        }

        var end = key[1..].IndexOf((byte)'/');
        return end <= 0 ? null : System.Text.Encoding.UTF8.GetString(key.Slice(1, end));
    }
}
