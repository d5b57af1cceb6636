using System.Net;

namespace Formation.Silo.Dns;

/// <summary>
/// The records the server answers from, fed by any number of sources (<see cref="FabricFeeder"/> for VMs and nodes;
/// a service feeder adds <c>&lt;service&gt;</c> and its SRV names the same way). Each source owns its own names; where
/// two sources publish one name, the answer holds both sets. Readers take <see cref="Current"/>, an immutable snapshot,
/// without locking; every change builds the next one.
/// </summary>
public sealed class DnsTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, IReadOnlyList<ZoneRecord>>> _sources = new(StringComparer.Ordinal);
    private volatile ZoneSnapshot _current = ZoneSnapshot.Empty;

    public ZoneSnapshot Current => _current;

    /// <summary>Raised after every change, with the new snapshot (on the writer's thread).</summary>
    public event Action<ZoneSnapshot>? Changed;

    /// <summary>Replaces everything <paramref name="source"/> published with <paramref name="records"/>.</summary>
    public void Replace(string source, IReadOnlyDictionary<string, IReadOnlyList<ZoneRecord>> records)
    {
        var own = new Dictionary<string, IReadOnlyList<ZoneRecord>>(StringComparer.Ordinal);
        foreach (var (name, list) in records)
        {
            if (list.Count > 0)
            {
                own[Normalize(name)] = list;
            }
        }

        lock (_gate)
        {
            if (_sources.TryGetValue(source, out var old) && SameRecords(old, own))
            {
                return;
            }

            _sources[source] = own;
            Publish();
        }
    }

    /// <summary>Sets (or, with no records, removes) names of <paramref name="source"/>; one new snapshot for all of them.</summary>
    public void Apply(string source, IEnumerable<KeyValuePair<string, IReadOnlyList<ZoneRecord>>> changes)
    {
        lock (_gate)
        {
            if (!_sources.TryGetValue(source, out var own))
            {
                _sources[source] = own = new Dictionary<string, IReadOnlyList<ZoneRecord>>(StringComparer.Ordinal);
            }

            var changed = false;
            foreach (var (name, records) in changes)
            {
                var key = Normalize(name);
                if (records.Count == 0)
                {
                    changed |= own.Remove(key);
                }
                else if (!own.TryGetValue(key, out var had) || !had.SequenceEqual(records))
                {
                    own[key] = records;
                    changed = true;
                }
            }

            if (changed)
            {
                Publish();
            }
        }
    }

    /// <summary>Sets one name of <paramref name="source"/> (no records: removes it).</summary>
    public void Set(string source, string name, IReadOnlyList<ZoneRecord> records) => Apply(source, [new(name, records)]);

    /// <summary>
    /// A relative name as the table keys it: lower case, labels of letters, digits and '-' (SRV labels start with
    /// '_'). Anything else is a feeder's bug.
    /// </summary>
    public static string Normalize(string name)
    {
        var key = name.Trim('.').ToLowerInvariant();
        foreach (var label in key.Split('.'))
        {
            var body = label.StartsWith('_') ? label[1..] : label;
            if (!Names.IsDnsLabel(body))
            {
                throw new ArgumentException($"'{name}' is not a zone-relative DNS name (labels of a-z, 0-9 and '-', SRV labels starting with '_').", nameof(name));
            }
        }

        return key;
    }

    /// <summary>The A records of some addresses (helper for feeders).</summary>
    public static IReadOnlyList<ZoneRecord> Addresses(IEnumerable<IPAddress> addresses) =>
        [.. addresses.Distinct().Order(AddressOrder.Instance).Select(a => new AddressRecord(a))];

    private void Publish()
    {
        var merged = new Dictionary<string, IReadOnlyList<ZoneRecord>>(StringComparer.Ordinal);
        foreach (var own in _sources.Values)
        {
            foreach (var (name, records) in own)
            {
                merged[name] = merged.TryGetValue(name, out var other) ? [.. other, .. records.Except(other)] : records;
            }
        }

        var next = new ZoneSnapshot(_current.Version + 1, merged);
        _current = next;
        Changed?.Invoke(next);
    }

    private static bool SameRecords(Dictionary<string, IReadOnlyList<ZoneRecord>> a, Dictionary<string, IReadOnlyList<ZoneRecord>> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var other) && other.SequenceEqual(kv.Value));

    private sealed class AddressOrder : IComparer<IPAddress>
    {
        public static readonly AddressOrder Instance = new();

        public int Compare(IPAddress? x, IPAddress? y) =>
            x is null || y is null ? Comparer<object>.Default.Compare(x, y) : x.GetAddressBytes().AsSpan().SequenceCompareTo(y.GetAddressBytes());
    }
}
