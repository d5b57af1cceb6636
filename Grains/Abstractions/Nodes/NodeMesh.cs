namespace Formation.Nodes;

/// <summary>
/// A node's place in the WireGuard mesh, as it publishes it in its node record.
/// </summary>
/// <param name="PublicKey">The node's WireGuard public key (base64); the private key never leaves the node.</param>
/// <param name="Endpoint">Where peers send its tunnel packets: the underlay <c>address:port</c>.</param>
/// <param name="OverlayAddress">The node's own address inside the overlay (the gateway of its VM subnet).</param>
/// <param name="Subnet">The node's VM subnet, routed to it by every other node.</param>
/// <param name="Hosted">Addresses of other nodes' subnets (or taken back from them) that it hosts: routed to it as /32s.</param>
[GenerateSerializer, Immutable]
[Alias("formation.node-mesh")]
public sealed record NodeMesh(
    [property: Id(0)] string PublicKey,
    [property: Id(1)] string Endpoint,
    [property: Id(2)] string OverlayAddress,
    [property: Id(3)] string Subnet,
    [property: Id(4)] IReadOnlyList<HostedAddress>? Hosted = null);
