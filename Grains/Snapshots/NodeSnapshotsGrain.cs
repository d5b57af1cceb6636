using Formation.Grains.Hosting;
using Formation.Grains.Placement;
using Formation.Identity;
using Formation.Images;
using Formation.Snapshots;

namespace Formation.Grains.Snapshots;

/// <summary>
/// A node's snapshot store, reached from anywhere in the cluster; runs on that node and asks its <see cref="ISnapshotHost"/>.
/// A snapshot belongs to the account of the VM it was taken of: callers list and delete only those they may act on,
/// and another account's snapshot is as missing as one the node does not hold (so a clone cannot start from it either).
/// Snapshots travel between nodes like images do: a node fetches one from a node that holds it in chunks (grain calls,
/// under the cluster's mutual TLS) and keeps it only if its content digests to the id it was asked for. Reentrant: a
/// fetch that takes minutes does not hold up listing.
/// </summary>
[HostAffinityPlacement]
[Reentrant]
public sealed partial class NodeSnapshotsGrain(ISnapshotHost host, ILogger<NodeSnapshotsGrain> logger) : Grain, INodeSnapshotsGrain
{
    private readonly Dictionary<string, Task<SnapshotInfo>> _fetches = new(StringComparer.Ordinal);

    private string NodeId => GrainKeys.NodeOf(this.GetPrimaryKeyString());

    public Task<IReadOnlyList<SnapshotInfo>> ListAsync(string? vmId)
    {
        var caller = CallerContext.CurrentOrSystem;
        return Task.FromResult<IReadOnlyList<SnapshotInfo>>([.. host.List(vmId).Where(s => caller.MayAct(s.Account))]);
    }

    public Task<SnapshotInfo> DeleteAsync(string nameOrId)
    {
        var caller = CallerContext.CurrentOrSystem;
        var matches = host.List(null).Where(s => s.Matches(nameOrId)).ToArray();
        var visible = matches.Where(s => caller.MayAct(s.Account)).ToArray();
        return visible.Length switch
        {
            0 when matches.Length > 0 => throw SnapshotKeys.Missing(nameOrId),
            1 when matches.Length > 1 => host.DeleteAsync(visible[0].Id, CancellationToken.None), // by id: the name is another account's too
            > 1 when matches.Length > visible.Length => throw Errors.FormationException.Invalid(
                $"'{nameOrId}' names {visible.Length} snapshots ({string.Join(", ", visible.Select(m => m.ShortId))}); use more of the id."),
            _ => host.DeleteAsync(nameOrId, CancellationToken.None),
        };
    }

    public Task<SnapshotContents> DescribeAsync(string snapshotId) => Task.FromResult(Visible(snapshotId));

    public Task<ImageChunk> ReadChunkAsync(string snapshotId, string path, long offset)
    {
        Visible(snapshotId);
        return host.ReadChunkAsync(snapshotId, path, offset, CancellationToken.None);
    }

    public async Task<SnapshotInfo> FetchAsync(string snapshotId, string fromNode)
    {
        if (host.Describe(snapshotId) is { } held)
        {
            return Visible(held, snapshotId).Info;
        }

        if (fromNode == NodeId)
        {
            throw SnapshotKeys.Missing(snapshotId);
        }

        // The caller's rights are checked at the source (DescribeAsync and every chunk run as the caller).
        if (!_fetches.TryGetValue(snapshotId, out var fetch))
        {
            fetch = CopyAsync(snapshotId, fromNode);
            _fetches[snapshotId] = fetch;
            _ = fetch.ContinueWith(_ => _fetches.Remove(snapshotId), TaskScheduler.Current);
        }

        return await fetch;
    }

    private async Task<SnapshotInfo> CopyAsync(string snapshotId, string fromNode)
    {
        var source = GrainFactory.GetGrain<INodeSnapshotsGrain>(SnapshotKeys.NodeStore(fromNode));
        var contents = await source.DescribeAsync(snapshotId);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            // Listed here as this node's copy; its id is checked against its content before it is kept.
            var copy = await host.ImportAsync(contents with { Info = contents.Info with { NodeId = NodeId } },
                (path, offset) => source.ReadChunkAsync(snapshotId, path, offset), CancellationToken.None);
            LogFetched(copy.Id, fromNode, contents.Files.Sum(f => f.Length), clock.ElapsedMilliseconds);
            return copy;
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            throw new Errors.FormationException(Errors.ErrorKind.HostFailure,
                $"node {NodeId} could not copy snapshot {contents.Info.ShortId} from node {fromNode}: {ex.Message}");
        }
    }

    // A snapshot of an account the caller may not act on answers exactly like one the node does not hold.
    private SnapshotContents Visible(string snapshotId) => Visible(host.Describe(snapshotId), snapshotId);

    private static SnapshotContents Visible(SnapshotContents? contents, string snapshotId) =>
        contents is not null && CallerContext.CurrentOrSystem.MayAct(contents.Info.Account)
            ? contents
            : throw SnapshotKeys.Missing(snapshotId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot {SnapshotId} copied from node {Source}: {Bytes} bytes in {Milliseconds} ms")]
    private partial void LogFetched(string snapshotId, string source, long bytes, long milliseconds);
}
