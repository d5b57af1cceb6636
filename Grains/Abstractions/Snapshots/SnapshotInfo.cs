namespace Formation.Snapshots;

/// <summary>
/// A snapshot of a VM kept on a node: its machine state (memory, vCPUs, devices) and a point-in-time copy of its disk.
/// <see cref="Id"/> is content-addressed (a digest over the machine state and the disk); <see cref="Name"/> is what users
/// type. Also the manifest the node's snapshot store keeps next to the files.
/// </summary>
/// <param name="StateBytes">Bytes of machine state on the node's disk.</param>
/// <param name="DiskBytes">Bytes the disk copy takes on the node's disk (it is sparse; 0 for a VM without a disk).</param>
[GenerateSerializer, Immutable]
[Alias("formation.snapshot-info")]
public sealed record SnapshotInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string VmId,
    [property: Id(3)] string VmName,
    [property: Id(4)] string NodeId,
    [property: Id(5)] string Driver,
    [property: Id(6)] int VCpus,
    [property: Id(7)] long MemoryMiB,
    [property: Id(8)] long DiskGiB,
    [property: Id(9)] string? Image,
    [property: Id(10)] DateTimeOffset CreatedAt,
    [property: Id(11)] long StateBytes,
    [property: Id(12)] long DiskBytes,
    [property: Id(13)] string? Owner = null)
{
    /// <summary>The account of the VM it was taken of (snapshots from before accounts are the admin's).</summary>
    public string Account => Owner ?? Identity.Caller.AdminAccount;

    /// <summary>How many characters of <see cref="Id"/> tables show (and the least a user may type to name one).</summary>
    public const int ShortIdLength = 12;

    public string ShortId => Id.Length > ShortIdLength ? Id[..ShortIdLength] : Id;

    /// <summary>True when <paramref name="nameOrId"/> is this snapshot's name, its id, or a prefix of its id of at least <see cref="ShortIdLength"/> characters.</summary>
    public bool Matches(string nameOrId) =>
        string.Equals(Name, nameOrId, StringComparison.Ordinal) ||
        (nameOrId.Length >= ShortIdLength && Id.StartsWith(nameOrId, StringComparison.Ordinal));
}
