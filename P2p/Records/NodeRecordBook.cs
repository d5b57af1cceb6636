using Formation.P2p.Identity;

namespace Formation.P2p.Records;

/// <summary>
/// The newest valid record of every member of one cluster. A record with a bad signature, another cluster id or a
/// sequence number not above the one held is ignored.
/// </summary>
public sealed class NodeRecordBook(string clusterId, int maxRecords = 4096)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<PeerId, KnownNodeRecord> _records = [];

    /// <summary>The cluster this book is for.</summary>
    public string ClusterId => clusterId;

    /// <summary>Raised when a record is accepted (new or newer).</summary>
    public event Action<KnownNodeRecord>? RecordAccepted;

    /// <summary>Every accepted record.</summary>
    public IReadOnlyList<KnownNodeRecord> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _records.Values.OrderBy(r => r.Record.NodeId, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The record of <paramref name="peer"/>, or null.</summary>
    public KnownNodeRecord? Get(PeerId peer)
    {
        lock (_lock)
        {
            return _records.GetValueOrDefault(peer);
        }
    }

    /// <summary>Takes <paramref name="envelope"/> if valid and newer; otherwise false and why.</summary>
    public bool TryAccept(ReadOnlySpan<byte> envelope, out string reason)
    {
        var record = NodeRecordVerifier.TryOpen(envelope, clusterId, out reason);
        if (record is null)
        {
            return false;
        }

        KnownNodeRecord known;
        lock (_lock)
        {
            if (_records.TryGetValue(record.PeerId, out var current) && current.Record.Sequence >= record.Sequence)
            {
                reason = $"sequence {record.Sequence} is not newer than {current.Record.Sequence}";
                return false;
            }

            if (current is null && _records.Count >= maxRecords)
            {
                reason = $"the book holds {maxRecords} records (the limit)";
                return false;
            }

            known = new KnownNodeRecord(record, envelope.ToArray(), DateTimeOffset.UtcNow);
            _records[record.PeerId] = known;
        }

        RecordAccepted?.Invoke(known);
        return true;
    }
}
