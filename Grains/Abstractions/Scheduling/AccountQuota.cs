namespace Formation.Scheduling;

/// <summary>
/// The most an account's VMs may hold together; a null limit is unlimited (the default for every account). Counted
/// from the scheduler's reservations, so a VM counts from its placement until it is deleted, running or not.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.account-quota")]
public sealed record AccountQuota(
    [property: Id(0)] int? VCpus = null,
    [property: Id(1)] long? MemoryMiB = null,
    [property: Id(2)] long? DiskGiB = null,
    [property: Id(3)] int? Vms = null)
{
    public static readonly AccountQuota Unlimited = new();

    /// <summary>This quota with every limit <paramref name="change"/> sets replaced (the others kept).</summary>
    public AccountQuota With(AccountQuota change) => new(
        change.VCpus ?? VCpus, change.MemoryMiB ?? MemoryMiB, change.DiskGiB ?? DiskGiB, change.Vms ?? Vms);

    /// <summary>The first limit <paramref name="used"/> plus one more VM of <paramref name="request"/> would pass, or null.</summary>
    public string? Exceeded(Nodes.NodeCapacity used, int vms, Nodes.NodeCapacity request)
    {
        if (Vms is { } maxVms && vms + 1 > maxVms)
        {
            return $"{vms + 1} of {maxVms} VMs";
        }

        if (VCpus is { } cpus && used.VCpus + request.VCpus > cpus)
        {
            return $"{used.VCpus + request.VCpus} of {cpus} vCPUs";
        }

        if (MemoryMiB is { } memory && used.MemoryMiB + request.MemoryMiB > memory)
        {
            return $"{used.MemoryMiB + request.MemoryMiB} of {memory} MiB of memory";
        }

        return DiskGiB is { } disk && used.DiskGiB + request.DiskGiB > disk
            ? $"{used.DiskGiB + request.DiskGiB} of {disk} GiB of disk"
            : null;
    }
}

/// <summary>An account's quota and what its VMs hold now (<c>form quota show</c>).</summary>
[GenerateSerializer, Immutable]
[Alias("formation.quota-status")]
public sealed record QuotaStatus(
    [property: Id(0)] string Account,
    [property: Id(1)] AccountQuota Limits,
    [property: Id(2)] Nodes.NodeCapacity Used,
    [property: Id(3)] int VmsUsed);
