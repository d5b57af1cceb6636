namespace Formation.Vms;

/// <summary>
/// Console output from <see cref="Offset"/>; <see cref="Next"/> is where to continue reading. A VM's console log is
/// capped and drops its oldest output: a read from an offset that was dropped returns the oldest output still kept, so
/// <see cref="Offset"/> is then past the offset asked for (see <see cref="DroppedBefore"/>).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.console-chunk")]
public sealed record ConsoleChunk(
    [property: Id(0)] long Offset,
    [property: Id(1)] byte[] Data,
    [property: Id(2)] long Next)
{
    /// <summary>How many bytes from <paramref name="requested"/> (a non-negative offset) on were dropped before this chunk.</summary>
    public long DroppedBefore(long requested) => requested < 0 ? 0 : Math.Max(0, Offset - requested);
}
