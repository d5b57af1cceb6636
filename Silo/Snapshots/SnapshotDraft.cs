namespace Formation.Silo.Snapshots;

/// <summary>
/// A snapshot being written: a hidden folder of the store (<c>.partial-…</c>) that no listing shows. Committed, it is
/// renamed to its content address in one step; discarded (or left by a crash), it is removed.
/// </summary>
public sealed record SnapshotDraft(string Path)
{
    /// <summary>Where the driver writes the machine state (memory, vCPUs, devices).</summary>
    public string MachineDirectory => System.IO.Path.Combine(Path, SnapshotStore.MachineFolder);

    /// <summary>Where the point-in-time copy of the VM's disk goes.</summary>
    public string Disk => System.IO.Path.Combine(Path, SnapshotStore.DiskFile);
}
