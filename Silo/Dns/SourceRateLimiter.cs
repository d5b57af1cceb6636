using System.Net;

namespace Formation.Silo.Dns;

/// <summary>
/// A token bucket per source address: <c>rate</c> queries a second, up to <c>burst</c> at once. The table of sources
/// is bounded: when it is full, sources idle long enough to have a full bucket are forgotten, and if that frees
/// nothing, new sources share one bucket (a flood from many spoofed addresses is limited as one). Thread-safe.
/// </summary>
public sealed class SourceRateLimiter(double rate, int burst, int maxSources, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<UInt128, Bucket> _buckets = [];
    private readonly Bucket _overflow = new(burst, 0);
    private long _dropped;

    /// <summary>Queries refused so far.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public bool Enabled => rate > 0;

    /// <summary>Takes one token of <paramref name="source"/>'s bucket; false when it has none left.</summary>
    public bool TryTake(IPAddress source)
    {
        if (rate <= 0)
        {
            return true;
        }

        Span<byte> bytes = stackalloc byte[16];
        var mapped = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
        mapped.TryWriteBytes(bytes, out var written);
        var key = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes) ^ (UInt128)written;
        var now = clock.GetTimestamp();
        lock (_gate)
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                if (_buckets.Count >= maxSources)
                {
                    Sweep(now);
                }

                bucket = _buckets.Count < maxSources ? new Bucket(burst, now) : _overflow;
                if (bucket != _overflow)
                {
                    _buckets[key] = bucket;
                }
            }

            if (bucket.TryTake(now, rate, burst, clock.TimestampFrequency))
            {
                return true;
            }
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Sources tracked now (for tests).</summary>
    public int TrackedSources
    {
        get
        {
            lock (_gate)
            {
                return _buckets.Count;
            }
        }
    }

    private void Sweep(long now)
    {
        List<UInt128>? idle = null;
        foreach (var (key, bucket) in _buckets)
        {
            if (bucket.IsFull(now, rate, burst, clock.TimestampFrequency))
            {
                (idle ??= []).Add(key);
            }
        }

        foreach (var key in idle ?? [])
        {
            _buckets.Remove(key);
        }
    }

    private sealed class Bucket(double tokens, long at)
    {
        private double _tokens = tokens;
        private long _at = at;

        public bool TryTake(long now, double rate, int burst, long frequency)
        {
            Refill(now, rate, burst, frequency);
            if (_tokens < 1)
            {
                return false;
            }

            _tokens -= 1;
            return true;
        }

        public bool IsFull(long now, double rate, int burst, long frequency)
        {
            Refill(now, rate, burst, frequency);
            return _tokens >= burst;
        }

        private void Refill(long now, double rate, int burst, long frequency)
        {
            if (now > _at)
            {
                _tokens = Math.Min(burst, _tokens + (now - _at) * rate / frequency);
                _at = now;
            }
        }
    }
}
