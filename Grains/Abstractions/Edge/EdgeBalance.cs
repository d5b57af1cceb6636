namespace Formation.Edge;

/// <summary>How a route's edge chooses among the serving replicas (healthy ones first either way).</summary>
[GenerateSerializer]
[Alias("formation.edge-balance")]
public enum EdgeBalance
{
    /// <summary>Each request (or TCP connection) goes to the next replica in turn.</summary>
    RoundRobin = 0,

    /// <summary>To the replica with the fewest requests (or connections) in flight from this node; ties in turn.</summary>
    LeastRequests = 1,
}
