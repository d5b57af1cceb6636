namespace Formation.Scheduling;

/// <summary>
/// Ask the scheduler which node builds an image. <paramref name="Node"/> pins the build (that node must be healthy);
/// otherwise the scheduler prefers a node that already holds a version of <paramref name="Reference"/> (its layers are
/// cached there), then the node behind the client's <paramref name="Gateway"/> (no context crosses the network), then
/// the healthy node with the most free disk.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.build-placement-request")]
public sealed record BuildPlacementRequest(
    [property: Id(0)] string Reference,
    [property: Id(1)] string? Node = null,
    [property: Id(2)] string? Gateway = null);
