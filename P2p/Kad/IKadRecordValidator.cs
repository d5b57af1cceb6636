namespace Formation.P2p.Kad;

/// <summary>Checks and ranks the records of one key namespace (<c>/namespace/…</c>), as js-libp2p's validators and selectors do.</summary>
public interface IKadRecordValidator
{
    /// <summary>True if <paramref name="value"/> is a valid record for <paramref name="key"/>.</summary>
    bool Validate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>The index of the best of several valid values for one key.</summary>
    int Select(ReadOnlySpan<byte> key, IReadOnlyList<byte[]> values);
}
