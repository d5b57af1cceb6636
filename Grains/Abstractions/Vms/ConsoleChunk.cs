namespace Formation.Vms;

/// <summary>Console output from <see cref="Offset"/>; <see cref="Next"/> is where to continue reading.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.console-chunk")]
public sealed record ConsoleChunk(
    [property: Id(0)] long Offset,
    [property: Id(1)] byte[] Data,
    [property: Id(2)] long Next);
