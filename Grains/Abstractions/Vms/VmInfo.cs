namespace Formation.Vms;

/// <summary>Everything known about one VM.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.vm-info")]
public sealed record VmInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string NodeId,
    [property: Id(2)] VmSpec Spec,
    [property: Id(3)] VmState State,
    [property: Id(4)] string? Reason,
    [property: Id(5)] DateTimeOffset CreatedAt,
    [property: Id(6)] DateTimeOffset UpdatedAt,
    [property: Id(7)] string? Address,
    [property: Id(8)] string HypervisorDriver,
    [property: Id(9)] IReadOnlyList<string>? Ports = null,
    [property: Id(10)] string? Owner = null)
{
    public string Name => Spec.Name;

    /// <summary>The account that owns the VM (recorded by the silo at creation); VMs from before accounts belong to admin.</summary>
    public string Account => Owner ?? Identity.AccountNames.Admin;

    public VmSummary ToSummary() => new(Id, Spec.Name, NodeId, State, Spec.VCpus, Spec.MemoryMiB, Spec.DiskGiB, Spec.Image, Address, UpdatedAt, CreatedAt, Spec.Service, Owner);
}
