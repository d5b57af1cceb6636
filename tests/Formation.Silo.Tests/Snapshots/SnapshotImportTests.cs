using Formation.Images;
using Formation.Silo.Snapshots;
using Formation.Snapshots;

namespace Formation.Silo.Tests.Snapshots;

/// <summary>
/// A snapshot copied between two nodes' stores (two real stores; the chunks go through the same read and import code the
/// grains use): the copy is kept only when it digests to the id asked for, sparse ranges stay holes, and a source that
/// lies (wrong ranges, other bytes, odd file names) leaves nothing behind on the receiving node.
/// </summary>
public sealed class SnapshotImportTests : IDisposable
{
    private readonly TestDirectory _source = new("snap-src");
    private readonly TestDirectory _target = new("snap-dst");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Import_FromAnotherStore_IsTheSameSnapshotHeldHere_AndHolesStayHoles()
    {
        var (source, taken) = await SourceAsync(diskBytes: 24 << 20);
        var target = new SnapshotStore(_target.Path);
        var contents = source.Describe(taken.Id)!;
        var asked = 0;

        var copy = await target.ImportAsync(contents with { Info = contents.Info with { NodeId = "node-2" } },
            (path, offset) => { Interlocked.Increment(ref asked); return source.ReadChunkAsync(taken.Id, path, offset, Ct); }, Ct);

        Assert.Equal(taken.Id, copy.Id);
        Assert.Equal("node-2", copy.NodeId);
        Assert.Equal(taken with { NodeId = "node-2" }, target.List(null).Single());
        Assert.Equal(File.ReadAllBytes(source.Disk(taken)!), File.ReadAllBytes(target.Disk(copy)!));
        Assert.Equal("machine-state", File.ReadAllText(Path.Combine(target.MachineDirectory(copy), "state.bin")));
        Assert.True(new FileInfo(target.Disk(copy)!).Length == 24 << 20);
        Assert.InRange(await Formation.Silo.Platform.HostDisks.AllocatedBytesAsync(target.Disk(copy)!, Ct), 1, 4 << 20); // the 1 MiB written, not 24
        Assert.Equal(1 + 24, asked); // the state file and 24 ranges of the disk

        // Asked again (a second VM, a retry): the copy held is the answer, nothing is read.
        var again = await target.ImportAsync(contents, (_, _) => throw new InvalidOperationException("must not read"), Ct);
        Assert.Equal(copy, again);
    }

    [Fact]
    public async Task Import_BytesThatAreNotTheSnapshot_AreRefusedAndNothingIsKept()
    {
        var (source, taken) = await SourceAsync(diskBytes: 3 << 20);
        var target = new SnapshotStore(_target.Path);
        async Task<ImageChunk> Tampered(string path, long offset)
        {
            var chunk = await source.ReadChunkAsync(taken.Id, path, offset, Ct);
            return path == SnapshotContents.DiskPath && offset == 1 << 20 ? chunk with { Hole = false, Data = Enumerable.Repeat((byte)7, ImageChunk.MaxBytes).ToArray() } : chunk;
        }

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => target.ImportAsync(source.Describe(taken.Id)!, Tampered, Ct));

        Assert.Contains("it is not the snapshot asked for", ex.Message);
        Assert.Empty(target.List(null));
        Assert.Empty(Directory.EnumerateFileSystemEntries(target.Root));
    }

    [Fact]
    public async Task Import_ARangeOtherThanAsked_IsRefusedAndNothingIsKept()
    {
        var (source, taken) = await SourceAsync(diskBytes: 3 << 20);
        var target = new SnapshotStore(_target.Path);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => target.ImportAsync(source.Describe(taken.Id)!,
            (path, offset) => source.ReadChunkAsync(taken.Id, path, path == SnapshotContents.DiskPath && offset > 0 ? 0 : offset, Ct), Ct));

        Assert.Contains("answered a request for 1048576 bytes of disk.img", ex.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(target.Root));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("machine/../../x")]
    [InlineData("machine/")]
    [InlineData("/etc/passwd")]
    [InlineData("manifest.json")]
    [InlineData("machine/sub/file")]
    public async Task Import_AFileThatIsNotASnapshots_IsRefusedBeforeAnythingIsWritten(string path)
    {
        var (source, taken) = await SourceAsync(diskBytes: 1 << 20);
        var target = new SnapshotStore(_target.Path);
        var contents = source.Describe(taken.Id)!;

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => target.ImportAsync(contents with { Files = [.. contents.Files, new SnapshotFile(path, 10)] },
            (_, _) => throw new InvalidOperationException("must not read"), Ct));

        Assert.Contains($"lists a file '{path}' that is not one of a snapshot's", ex.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(target.Root));
    }

    [Fact]
    public async Task Import_ADiskLargerThanTheSnapshotsSize_IsRefused()
    {
        var (source, taken) = await SourceAsync(diskBytes: 1 << 20);
        var contents = source.Describe(taken.Id)!;
        var huge = contents with { Files = [.. contents.Files.Select(f => f.Path == SnapshotContents.DiskPath ? f with { Length = (2L << 30) + 1 } : f)] };

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => new SnapshotStore(_target.Path).ImportAsync(huge,
            (_, _) => throw new InvalidOperationException("must not read"), Ct));

        Assert.Contains("at most 1073741824 expected", ex.Message);
    }

    [Fact]
    public async Task ReadChunk_PathsOutsideTheSnapshot_AreRefused()
    {
        var (source, taken) = await SourceAsync(diskBytes: 1 << 20);

        await Assert.ThrowsAsync<ArgumentException>(() => source.ReadChunkAsync(taken.Id, "manifest.json", 0, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => source.ReadChunkAsync(taken.Id, "machine/../../../etc/passwd", 0, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => source.ReadChunkAsync("../" + taken.Id, "disk.img", 0, Ct));
        Assert.Null(source.Describe("../" + taken.Id));
    }

    /// <summary>A store with one snapshot: a small machine-state file and a sparse disk with 1 MiB of data at its start.</summary>
    private async Task<(SnapshotStore Store, SnapshotInfo Taken)> SourceAsync(long diskBytes)
    {
        var store = new SnapshotStore(_source.Path);
        var draft = store.Begin();
        await File.WriteAllTextAsync(Path.Combine(draft.MachineDirectory, "state.bin"), "machine-state", Ct);
        await using (var disk = new FileStream(draft.Disk, FileMode.CreateNew))
        {
            disk.SetLength(diskBytes);
            await disk.WriteAsync(Enumerable.Range(0, 1 << 20).Select(i => (byte)(i % 251 + 1)).ToArray(), Ct);
        }

        var template = new SnapshotInfo("", "s1", "vm-1", "web", "node-1", "qemu", 1, 128, 1, "img", DateTimeOffset.UtcNow, 0, 0, "bee");
        return (store, await store.CommitAsync(draft, template, Ct));
    }

    public void Dispose()
    {
        _source.Dispose();
        _target.Dispose();
    }
}
