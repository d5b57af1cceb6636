namespace Formation.Clusters;

/// <summary>One active silo of the cluster, as Orleans membership lists it.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.silo-row")]
public sealed record SiloRow(
    [property: Id(0)] string Name,
    [property: Id(1)] string Address,
    [property: Id(2)] string Status,
    [property: Id(3)] DateTime Started);
