namespace Formation.Snapshots;

/// <summary>
/// The snapshots one node keeps (key: <see cref="SnapshotKeys.NodeStore"/>; it runs on that node). Taking and restoring
/// a snapshot go through the VM's grain (<see cref="Formation.Vms.IVmGrain"/>); this lists and deletes them.
/// </summary>
[Alias("formation.node-snapshots")]
public interface INodeSnapshotsGrain : IGrainWithStringKey
{
    /// <summary>The node's snapshots, newest first; only those of VM <paramref name="vmId"/> when given.</summary>
    [Alias("list")]
    [NonMutating]
    Task<IReadOnlyList<SnapshotInfo>> ListAsync(string? vmId);

    /// <summary>Deletes the snapshot named (name, id, or id prefix); NotFound if the node has none of that name.</summary>
    [Alias("delete")]
    [Mutating]
    Task<SnapshotInfo> DeleteAsync(string nameOrId);
}
