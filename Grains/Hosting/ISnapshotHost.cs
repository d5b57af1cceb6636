using Formation.Snapshots;

namespace Formation.Grains.Hosting;

/// <summary>The node's snapshot store as grains see it: what it holds, and removing a snapshot.</summary>
public interface ISnapshotHost
{
    /// <summary>The snapshots the node holds, newest first; only VM <paramref name="vmId"/>'s when given.</summary>
    IReadOnlyList<SnapshotInfo> List(string? vmId);

    /// <summary>Removes the snapshot named (name, id or id prefix); NotFound when the node holds none of that name.</summary>
    Task<SnapshotInfo> DeleteAsync(string nameOrId, CancellationToken cancellationToken);
}
