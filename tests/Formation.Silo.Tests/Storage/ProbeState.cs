namespace Formation.Silo.Tests.Storage;

/// <summary>Grain state used by the storage tests: a record, an enum, a list and a nested record.</summary>
[GenerateSerializer, Immutable, Alias("Formation.Silo.Tests.Storage.ProbeState")]
public sealed record ProbeState
{
    [Id(0)] public string Name { get; init; } = string.Empty;

    [Id(1)] public int Count { get; init; }

    [Id(2)] public ProbeColor Color { get; init; }

    [Id(3)] public IReadOnlyList<string> Tags { get; init; } = [];

    [Id(4)] public ProbeOwner? Owner { get; init; }
}
