namespace Formation.Nodes;

/// <summary>A change in a node's membership or health, published on the node event stream.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.node-event")]
public sealed record NodeEvent(
    [property: Id(0)] string NodeId,
    [property: Id(1)] NodeEventKind Kind,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] string? Detail);
