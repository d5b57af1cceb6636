using System.Collections.Frozen;

namespace Formation.Silo.Dns;

/// <summary>
/// The zone's records at one moment: names relative to the zone, lower case (<c>web</c>, <c>node-1.node</c>,
/// <c>_http._tcp.web</c>). Immutable; <see cref="Version"/> grows with every change of the table.
/// </summary>
public sealed class ZoneSnapshot
{
    public static readonly ZoneSnapshot Empty = new(0, new Dictionary<string, IReadOnlyList<ZoneRecord>>());

    private readonly FrozenDictionary<string, IReadOnlyList<ZoneRecord>> _records;
    private readonly FrozenSet<string> _existing;

    public ZoneSnapshot(long version, IReadOnlyDictionary<string, IReadOnlyList<ZoneRecord>> records)
    {
        Version = version;
        _records = records.Where(r => r.Value.Count > 0).ToFrozenDictionary(StringComparer.Ordinal);

        // A name exists when it has records or a name below it does (an "empty non-terminal" such as node or
        // _tcp.web): it answers NODATA then, not NXDOMAIN, which would deny everything below it (RFC 8020).
        var existing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in _records.Keys)
        {
            for (var n = name; ; n = n[(n.IndexOf('.') + 1)..])
            {
                if (!existing.Add(n) || !n.Contains('.'))
                {
                    break;
                }
            }
        }

        _existing = existing.ToFrozenSet(StringComparer.Ordinal);
    }

    public long Version { get; }

    public int Count => _records.Count;

    public IEnumerable<string> Names => _records.Keys;

    /// <summary>The records of a relative, lower-case name (empty when it has none).</summary>
    public IReadOnlyList<ZoneRecord> Get(string name) => _records.TryGetValue(name, out var records) ? records : [];

    /// <summary>Whether the name has records or names below it.</summary>
    public bool Exists(string name) => _existing.Contains(name);
}
