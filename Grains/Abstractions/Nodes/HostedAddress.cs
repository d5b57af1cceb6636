namespace Formation.Nodes;

/// <summary>
/// A VM address a node hosts although it belongs to another node's subnet (a VM that moved keeps its address), or its
/// own subnet's address taken back from another node. Every node routes the /32 to the node with the latest claim.
/// </summary>
/// <param name="Address">The VM's IPv4 address.</param>
/// <param name="Since">When the node attached it: of two claims (a move, while the source still holds it), the later wins.</param>
[GenerateSerializer, Immutable]
[Alias("formation.hosted-address")]
public sealed record HostedAddress(
    [property: Id(0)] string Address,
    [property: Id(1)] DateTimeOffset Since);
