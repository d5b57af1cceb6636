namespace Formation.Edge;

/// <summary>
/// A TCP route of the edge (L4): connections to <see cref="ListenPort"/> on any node go, byte for byte, to port
/// <see cref="Port"/> of a serving replica of <see cref="Service"/>.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.edge-tcp-route")]
public sealed record EdgeTcpRoute(
    [property: Id(0)] int ListenPort,
    [property: Id(1)] string Service,
    [property: Id(2)] int Port,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] EdgeBalance Balance = EdgeBalance.RoundRobin);
