namespace Formation.Networking;

/// <summary>A user device in the mesh (a laptop): its name, WireGuard public key and overlay address.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.net-device")]
public sealed record NetDevice(
    [property: Id(0)] string Name,
    [property: Id(1)] string PublicKey,
    [property: Id(2)] string Address,
    [property: Id(3)] DateTimeOffset JoinedAt);
