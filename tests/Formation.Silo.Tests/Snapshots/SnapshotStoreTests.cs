using Formation.Errors;
using Formation.Silo.Snapshots;
using Formation.Snapshots;

namespace Formation.Silo.Tests.Snapshots;

public sealed class SnapshotStoreTests : IDisposable
{
    private readonly TestDirectory _data = new("snapstore");

    [Fact]
    public async Task Commit_Draft_IsListedUnderADigestOfItsContent()
    {
        var store = new SnapshotStore(_data.Path);

        var first = await CommitAsync(store, "one", state: "memory-a", disk: "disk-a");
        var second = await CommitAsync(store, "two", state: "memory-b", disk: "disk-a");

        Assert.Equal(32, first.Id.Length);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(["two", "one"], store.List(null).Select(s => s.Name));
        Assert.Equal("memory-a".Length, first.StateBytes);
        Assert.True(first.DiskBytes > 0);
        Assert.Equal("memory-a", await File.ReadAllTextAsync(Path.Combine(store.MachineDirectory(first), "state"), TestContext.Current.CancellationToken));
        Assert.Equal("disk-a", await File.ReadAllTextAsync(store.Disk(first)!, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Commit_SameContentTwice_KeepsTheFirst()
    {
        var store = new SnapshotStore(_data.Path);
        var first = await CommitAsync(store, "one", state: "memory", disk: null);

        var again = await CommitAsync(store, "one-again", state: "memory", disk: null);

        Assert.Equal(first, again);
        Assert.Single(store.List(null));
        Assert.Null(store.Disk(first));
        Assert.Equal(0, first.DiskBytes);
    }

    [Fact]
    public async Task Commit_NameTaken_IsRefusedAndLeavesNoDraft()
    {
        var store = new SnapshotStore(_data.Path);
        await CommitAsync(store, "one", state: "memory-a", disk: null);

        var ex = await Assert.ThrowsAsync<FormationException>(() => CommitAsync(store, "one", state: "memory-b", disk: null));

        Assert.Equal(ErrorKind.Conflict, ex.Kind);
        Assert.Contains("already exists", ex.Message);
        Assert.Single(Directory.EnumerateDirectories(store.Root));
    }

    [Fact]
    public async Task Open_DraftsLeftByACrash_AreRemovedAndNeverListed()
    {
        var store = new SnapshotStore(_data.Path);
        var kept = await CommitAsync(store, "kept", state: "memory", disk: null);
        var draft = store.Begin();
        await File.WriteAllTextAsync(Path.Combine(draft.MachineDirectory, "state"), "half", TestContext.Current.CancellationToken);

        Assert.Equal([kept], store.List(null));
        var reopened = new SnapshotStore(_data.Path);

        Assert.False(Directory.Exists(draft.Path));
        Assert.Equal([kept], reopened.List(null));
    }

    [Fact]
    public async Task Find_ByNameIdOrLongPrefix_FindsItAndShortPrefixDoesNot()
    {
        var store = new SnapshotStore(_data.Path);
        var snapshot = await CommitAsync(store, "named", state: "memory", disk: null);

        Assert.Equal(snapshot, store.Find("named"));
        Assert.Equal(snapshot, store.Find(snapshot.Id));
        Assert.Equal(snapshot, store.Find(snapshot.ShortId));
        Assert.Null(store.Find(snapshot.Id[..4]));
        Assert.Null(store.Find("other"));
    }

    [Fact]
    public async Task Delete_Snapshot_IsGoneAndUnknownIsNotFound()
    {
        var store = new SnapshotStore(_data.Path);
        var snapshot = await CommitAsync(store, "doomed", state: "memory", disk: "disk");

        var deleted = await store.DeleteAsync("doomed", TestContext.Current.CancellationToken);

        Assert.Equal(snapshot, deleted);
        Assert.Empty(store.List(null));
        Assert.Empty(Directory.EnumerateFileSystemEntries(store.Root));
        var ex = await Assert.ThrowsAsync<FormationException>(() => store.DeleteAsync("doomed", TestContext.Current.CancellationToken));
        Assert.Equal(ErrorKind.NotFound, ex.Kind);
    }

    [Fact]
    public async Task List_ByVm_ShowsOnlyThatVmsSnapshots()
    {
        var store = new SnapshotStore(_data.Path);
        await CommitAsync(store, "a", state: "memory-a", disk: null, vmId: "vm-a");
        await CommitAsync(store, "b", state: "memory-b", disk: null, vmId: "vm-b");

        Assert.Equal(["b"], store.List("vm-b").Select(s => s.Name));
    }

    [Fact]
    public async Task Names_ArePerAccount_FindWithAnAccountSeesOnlyItsOwn()
    {
        var store = new SnapshotStore(_data.Path);
        var admins = await CommitAsync(store, "nightly", state: "memory-admin", disk: null, vmId: "vm-a");
        var bobs = await CommitAsync(store, "nightly", state: "memory-bob", disk: null, vmId: "vm-b", owner: "bob");

        Assert.Equal(admins.Id, store.Find("nightly", "admin")!.Id);
        Assert.Equal(bobs.Id, store.Find("nightly", "bob")!.Id);
        Assert.Null(store.Find(admins.Id, "bob")); // by id too
        Assert.Equal(ErrorKind.InvalidArgument, Assert.Throws<FormationException>(() => store.Find("nightly")).Kind);
        var again = await Assert.ThrowsAsync<FormationException>(() => CommitAsync(store, "nightly", state: "memory-bob-2", disk: null, vmId: "vm-b", owner: "bob"));
        Assert.Equal(ErrorKind.Conflict, again.Kind);
    }

    private static async Task<SnapshotInfo> CommitAsync(SnapshotStore store, string name, string state, string? disk, string vmId = "vm-1", string? owner = null)
    {
        var draft = store.Begin();
        await File.WriteAllTextAsync(Path.Combine(draft.MachineDirectory, "state"), state, TestContext.Current.CancellationToken);
        if (disk is not null)
        {
            await File.WriteAllTextAsync(draft.Disk, disk, TestContext.Current.CancellationToken);
        }

        var template = new SnapshotInfo("", name, vmId, "web", "node-1", "qemu", 1, 128, 1, "img", DateTimeOffset.UtcNow, 0, 0, owner);
        await Task.Delay(2, TestContext.Current.CancellationToken); // distinct creation times order the listing
        return await store.CommitAsync(draft, template, TestContext.Current.CancellationToken);
    }

    public void Dispose() => _data.Dispose();
}
