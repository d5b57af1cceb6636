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

    /// <summary>The snapshot with this full id and its files, for a node that fetches it; NotFound if not held (or another account's).</summary>
    [Alias("describe")]
    [NonMutating]
    [Identity.NodeOnly]
    Task<SnapshotContents> DescribeAsync(string snapshotId);

    /// <summary>A range of one of a held snapshot's files (<see cref="Images.ImageChunk.MaxBytes"/> from <paramref name="offset"/>).</summary>
    [Alias("read-chunk")]
    [NonMutating]
    [Identity.NodeOnly]
    Task<Images.ImageChunk> ReadChunkAsync(string snapshotId, string path, long offset);

    /// <summary>
    /// Makes this node hold snapshot <paramref name="snapshotId"/> (full id), copied from node <paramref name="fromNode"/> and
    /// verified against its id; at once when it holds it already. Concurrent fetches of one snapshot copy it once.
    /// </summary>
    [Alias("fetch")]
    [Mutating]
    [Identity.NodeOnly]
    [ResponseTimeout("00:10:00")]
    Task<SnapshotInfo> FetchAsync(string snapshotId, string fromNode);
}
