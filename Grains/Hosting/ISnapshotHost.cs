using Formation.Images;
using Formation.Snapshots;

namespace Formation.Grains.Hosting;

/// <summary>The node's snapshot store as grains see it: what it holds, and removing a snapshot.</summary>
public interface ISnapshotHost
{
    /// <summary>The snapshots the node holds, newest first; only VM <paramref name="vmId"/>'s when given.</summary>
    IReadOnlyList<SnapshotInfo> List(string? vmId);

    /// <summary>Removes the snapshot named (name, id or id prefix); NotFound when the node holds none of that name.</summary>
    Task<SnapshotInfo> DeleteAsync(string nameOrId, CancellationToken cancellationToken);

    /// <summary>The snapshot with this full id and its files, or null when the node does not hold it.</summary>
    SnapshotContents? Describe(string snapshotId);

    /// <summary>A range of one of a held snapshot's files (<see cref="SnapshotContents.Files"/>), as images are served.</summary>
    Task<ImageChunk> ReadChunkAsync(string snapshotId, string path, long offset, CancellationToken cancellationToken);

    /// <summary>
    /// Stores a copy of another node's snapshot: every file read through <paramref name="read"/> (a few ranges at a time) into
    /// a hidden draft, checked chunk by chunk against <paramref name="source"/>, and committed only if its content digests to
    /// the source's id (it is then listed as held by this node). A snapshot already held is returned as it is.
    /// </summary>
    Task<SnapshotInfo> ImportAsync(SnapshotContents source, Func<string, long, Task<ImageChunk>> read, CancellationToken cancellationToken);
}
