using Formation.P2p.Identity;

namespace Formation.P2p.Kad;

/// <summary>
/// The Kademlia routing table: one bucket of at most k peers per common-prefix length with this node's key, least
/// recently seen first. A full bucket takes a newcomer only after its oldest entry fails a liveness check.
/// </summary>
public sealed class RoutingTable(PeerId self, int k)
{
    private readonly KadKey _self = KadKey.Of(self);
    private readonly List<RoutingEntry>[] _buckets = [.. Enumerable.Range(0, 257).Select(_ => new List<RoutingEntry>())];
    private readonly Lock _lock = new();

    /// <summary>Bucket size.</summary>
    public int K => k;

    /// <summary>Peers in the table.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _buckets.Sum(b => b.Count);
            }
        }
    }

    /// <summary>Every entry.</summary>
    public IReadOnlyList<RoutingEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _buckets.SelectMany(b => b)];
            }
        }
    }

    /// <summary>True if <paramref name="peer"/> is in the table.</summary>
    public bool Contains(PeerId peer)
    {
        lock (_lock)
        {
            return BucketOf(KadKey.Of(peer)).Any(e => e.Id == peer);
        }
    }

    /// <summary>
    /// Adds or refreshes <paramref name="peer"/>. When its bucket is full nothing changes and the bucket's least
    /// recently seen peer is returned in <paramref name="oldest"/> for a liveness check (see <see cref="Replace"/>).
    /// </summary>
    public bool TryAdd(PeerId peer, out PeerId? oldest)
    {
        oldest = null;
        if (peer == self)
        {
            return false;
        }

        var key = KadKey.Of(peer);
        lock (_lock)
        {
            var bucket = BucketOf(key);
            var index = bucket.FindIndex(e => e.Id == peer);
            if (index >= 0)
            {
                var entry = bucket[index];
                bucket.RemoveAt(index);
                bucket.Add(entry with { LastSeen = DateTimeOffset.UtcNow });
                return true;
            }

            if (bucket.Count >= k)
            {
                oldest = bucket[0].Id;
                return false;
            }

            bucket.Add(new RoutingEntry(peer, key, DateTimeOffset.UtcNow));
            return true;
        }
    }

    /// <summary>Replaces an unresponsive <paramref name="oldest"/> with <paramref name="newcomer"/> (if the first is still there).</summary>
    public void Replace(PeerId oldest, PeerId newcomer)
    {
        if (Remove(oldest))
        {
            TryAdd(newcomer, out _);
        }
    }

    /// <summary>Removes <paramref name="peer"/>; false if it was not there.</summary>
    public bool Remove(PeerId peer)
    {
        lock (_lock)
        {
            return BucketOf(KadKey.Of(peer)).RemoveAll(e => e.Id == peer) > 0;
        }
    }

    /// <summary>Up to <paramref name="count"/> peers closest to <paramref name="target"/>, nearest first.</summary>
    public IReadOnlyList<PeerId> Closest(KadKey target, int count, PeerId? exclude = null)
    {
        lock (_lock)
        {
            return [.. _buckets.SelectMany(b => b)
                .Where(e => e.Id != exclude)
                .OrderBy(e => e.Key.DistanceTo(target))
                .Take(count)
                .Select(e => e.Id)];
        }
    }

    private List<RoutingEntry> BucketOf(KadKey key) => _buckets[_self.CommonPrefixLength(key)];
}
