using Formation.P2p.Identity;

namespace Formation.P2p.Kad;

/// <summary>The records and provider records this node stores for the DHT; bounded and expiring.</summary>
public sealed class KadRecordStore(KadOptions options)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (KadRecord Record, DateTimeOffset Stored)> _records = [];
    private readonly Dictionary<string, Dictionary<PeerId, (KadPeer Peer, DateTimeOffset Stored)>> _providers = [];

    /// <summary>Stores (or replaces) a record.</summary>
    public void Put(KadRecord record)
    {
        var key = Convert.ToHexString(record.Key);
        lock (_lock)
        {
            _records[key] = (record with { TimeReceived = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture) }, DateTimeOffset.UtcNow);
            if (_records.Count > options.MaxRecords)
            {
                _records.Remove(_records.MinBy(r => r.Value.Stored).Key);
            }
        }
    }

    /// <summary>The live record for <paramref name="key"/>, or null.</summary>
    public KadRecord? Get(ReadOnlySpan<byte> key)
    {
        var hex = Convert.ToHexString(key);
        lock (_lock)
        {
            if (!_records.TryGetValue(hex, out var entry))
            {
                return null;
            }

            if (DateTimeOffset.UtcNow - entry.Stored > options.RecordTtl)
            {
                _records.Remove(hex);
                return null;
            }

            return entry.Record;
        }
    }

    /// <summary>Records <paramref name="provider"/> as providing <paramref name="key"/>.</summary>
    public void AddProvider(ReadOnlySpan<byte> key, KadPeer provider)
    {
        var hex = Convert.ToHexString(key);
        lock (_lock)
        {
            if (!_providers.TryGetValue(hex, out var set))
            {
                if (_providers.Count >= options.MaxProviderKeys)
                {
                    _providers.Remove(_providers.MinBy(p => p.Value.Values.Max(v => v.Stored)).Key);
                }

                _providers[hex] = set = [];
            }

            set[provider.Id] = (provider, DateTimeOffset.UtcNow);
            if (set.Count > options.MaxProvidersPerKey)
            {
                set.Remove(set.MinBy(p => p.Value.Stored).Key);
            }
        }
    }

    /// <summary>The live providers of <paramref name="key"/>.</summary>
    public IReadOnlyList<KadPeer> GetProviders(ReadOnlySpan<byte> key)
    {
        var hex = Convert.ToHexString(key);
        lock (_lock)
        {
            if (!_providers.TryGetValue(hex, out var set))
            {
                return [];
            }

            var now = DateTimeOffset.UtcNow;
            foreach (var expired in set.Where(p => now - p.Value.Stored > options.ProviderTtl).Select(p => p.Key).ToList())
            {
                set.Remove(expired);
            }

            return [.. set.Values.Select(v => v.Peer)];
        }
    }
}
