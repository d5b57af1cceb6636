namespace Formation.Grains.Images;

/// <summary>
/// A node's offer to stream an image's files directly to the node that fetches it, instead of in grain calls: its
/// image stream's <see cref="Endpoint"/> (<c>address:port</c>, at the address the cluster knows the node by), the
/// <see cref="NodeId"/> its certificate must name, and a one-time <see cref="Ticket"/> for one connection that reads
/// that image. The ticket travels only in the grain call, which the cluster's mutual TLS protects.
/// </summary>
[GenerateSerializer, Immutable, Alias("formation.image-stream-offer")]
public sealed record ImageStreamOffer(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string Endpoint,
    [property: Id(2)] string Ticket);
