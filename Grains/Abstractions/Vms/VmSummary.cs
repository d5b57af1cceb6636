namespace Formation.Vms;

/// <summary>One row of <c>form vm list</c>, as the cluster catalog keeps it. <see cref="Owner"/> is set by the silo, never by a client.</summary>
[GenerateSerializer, Immutable]
[Alias("formation.vm-summary")]
public sealed record VmSummary(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string NodeId,
    [property: Id(3)] VmState State,
    [property: Id(4)] int VCpus,
    [property: Id(5)] long MemoryMiB,
    [property: Id(6)] long DiskGiB,
    [property: Id(7)] string? Image,
    [property: Id(8)] string? Address,
    [property: Id(9)] DateTimeOffset UpdatedAt,
    [property: Id(10)] DateTimeOffset CreatedAt = default,
    [property: Id(11)] string? Service = null,
    [property: Id(12)] string? Owner = null)
{
    /// <summary>The account that owns the VM; rows from before accounts existed belong to the admin account.</summary>
    public string Account => Owner ?? Identity.AccountNames.Admin;
}
