namespace Formation.Vms;

/// <summary>
/// Where a VM's live migration stream goes: the receiving node listens at <see cref="Address"/>:<see cref="Port"/> (its
/// overlay address, so the stream travels inside the mesh's WireGuard tunnel) for one connection from the sending node's
/// overlay address that opens with <see cref="Token"/> (hex, 32 random bytes; handed over only in grain calls, under the
/// cluster's mutual TLS).
/// </summary>
[GenerateSerializer, Immutable, Alias("formation.migration-inbox")]
public sealed record MigrationInbox(
    [property: Id(0)] string Address,
    [property: Id(1)] int Port,
    [property: Id(2)] string Token);
