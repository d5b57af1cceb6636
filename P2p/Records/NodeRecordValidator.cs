using Formation.P2p.Kad;

namespace Formation.P2p.Records;

/// <summary>
/// DHT validator of the <c>/formation/&lt;cluster&gt;/&lt;PeerId&gt;</c> namespace: the value must be a node record signed
/// by that peer for that cluster; of several, the highest sequence number wins.
/// </summary>
public sealed class NodeRecordValidator : IKadRecordValidator
{
    /// <inheritdoc />
    public bool Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) =>
        NodeRecordKeys.TryParse(key, out var cluster, out var peer)
        && NodeRecordVerifier.TryOpen(value, cluster, out _) is { } record
        && record.PeerId == peer;

    /// <inheritdoc />
    public int Select(ReadOnlySpan<byte> key, IReadOnlyList<byte[]> values)
    {
        NodeRecordKeys.TryParse(key, out var cluster, out _);
        var best = 0;
        ulong bestSeq = 0;
        for (var i = 0; i < values.Count; i++)
        {
            var seq = NodeRecordVerifier.TryOpen(values[i], cluster, out _)?.Sequence ?? 0;
            if (i == 0 || seq > bestSeq)
            {
                best = i;
                bestSeq = seq;
            }
        }

        return best;
    }
}
