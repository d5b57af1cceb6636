using Formation.Events;

namespace Formation.Vms;

/// <summary>
/// What a migrating VM's grain on its new node starts from: the VM as it was on <see cref="FromNode"/> (spec, owner,
/// creation time, address, history) and the snapshot of its machine state, already copied to the new node — or, for a
/// live migration, no snapshot (<see cref="SnapshotId"/> null): the state then arrives in a stream (<see cref="MigrationInbox"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("formation.vm-arrival")]
public sealed record VmArrival(
    [property: Id(0)] VmSpec Spec,
    [property: Id(1)] string Owner,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] string? Address,
    [property: Id(4)] IReadOnlyList<VmEvent> Events,
    [property: Id(5)] string FromNode,
    [property: Id(6)] string? SnapshotId);
