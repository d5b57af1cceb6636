using Formation.Silo.Hypervisors;
using Formation.Silo.Platform;
using Formation.Silo.Snapshots;
using Formation.Snapshots;

namespace Formation.Silo.Tests.Snapshots;

/// <summary>
/// Snapshot and restore against a real, jailed qemu/TCG guest that counts in memory and on its disk: a restore goes on
/// from the snapshot's count (not from 0, not from where the VM had got to), its disk is the snapshot's, and a
/// snapshot that fails part way leaves the guest running and nothing in the store.
/// </summary>
[Trait("Category", "Slow")]
public sealed class QemuSnapshotTests(CountingGuest guest) : IClassFixture<CountingGuest>
{
    [Fact]
    public async Task Restore_CountingGuest_ContinuesFromTheSnapshotInMemoryAndOnDisk()
    {
        var ct = TestContext.Current.CancellationToken;
        var (launch, directory) = await guest.PrepareAsync();
        var store = new SnapshotStore(guest.Data.Path);
        var driver = guest.Driver;
        var process = await driver.LaunchAsync(launch, directory, ct);
        long atSnapshot;
        SnapshotInfo snapshot;
        try
        {
            await CountingGuest.WaitForCountAsync(directory, 5);
            var taken = await SnapshotTaker.TakeAsync(process, directory.Disk, store, Template(launch), leavePaused: false, ct);
            snapshot = taken.Snapshot;
            atSnapshot = CountingGuest.DiskCount(store.Disk(snapshot)!) ?? throw new InvalidOperationException("the snapshot's disk holds no count");
            Assert.InRange(atSnapshot, 4, long.MaxValue);
            Assert.False(await process.IsPausedAsync(ct)); // resumed after the snapshot

            // The VM goes on well past the snapshot before it is restored.
            await CountingGuest.WaitForCountAsync(directory, atSnapshot + 10);
        }
        finally
        {
            await process.KillAsync(ct);
            await process.DisposeAsync();
        }

        var later = CountingGuest.Counts(directory)[^1];
        Assert.True(CountingGuest.DiskCount(directory.Disk) >= atSnapshot + 9);
        Assert.True(snapshot.StateBytes > 0);
        Assert.Equal(launch.VmId, snapshot.VmId);

        // Restore: the snapshot's disk back, then the machine state.
        await HostDisks.CopyAsync(store.Disk(snapshot)!, directory.Disk + ".restore", ct);
        File.Move(directory.Disk + ".restore", directory.Disk, overwrite: true);
        Assert.Equal(atSnapshot, CountingGuest.DiskCount(directory.Disk));
        var offset = new FileInfo(directory.ConsoleLog).Length;
        var restored = await driver.LaunchAsync(launch with { RestoreFrom = store.MachineDirectory(snapshot) }, directory, ct);
        try
        {
            Assert.False(await restored.IsPausedAsync(ct));
            await CountingGuest.WaitForCountAsync(directory, atSnapshot + 3, offset);
            var after = CountingGuest.Counts(directory, offset);

            // Memory: it goes on from the snapshot (the next count, or one more if the snapshot fell between print and write).
            Assert.InRange(after[0], atSnapshot + 1, atSnapshot + 2);
            Assert.True(after[0] < later, $"restored count {after[0]} must be below the count {later} the VM had reached");
            Assert.Equal(Enumerable.Range(0, after.Count).Select(i => after[0] + i), after); // and keeps counting one by one

            // Disk: the writes after the restore follow on from the snapshot's.
            await Eventually.TrueAsync(() => CountingGuest.DiskCount(directory.Disk) >= after[0], TimeSpan.FromSeconds(60), "the restored guest writes its disk");
            Assert.InRange(CountingGuest.DiskCount(directory.Disk)!.Value, after[0], CountingGuest.Counts(directory, offset)[^1]);
        }
        finally
        {
            await restored.KillAsync(ct);
            await restored.DisposeAsync();
        }
    }

    [Fact]
    public async Task Snapshot_FailingAfterTheMachineState_KeepsNothingAndTheGuestRunsOn()
    {
        var ct = TestContext.Current.CancellationToken;
        var (launch, directory) = await guest.PrepareAsync();
        var store = new SnapshotStore(Path.Combine(guest.Data.Path, "failing"));
        await using var process = await guest.Driver.LaunchAsync(launch, directory, ct);
        try
        {
            await CountingGuest.WaitForCountAsync(directory, 3);

            // The real QEMU writes its state (and is left in postmigrate); then the node's disk "fills up".
            var failing = new FailsAfterSnapshot(process);
            var ex = await Assert.ThrowsAsync<IOException>(() =>
                SnapshotTaker.TakeAsync(failing, directory.Disk, store, Template(launch), leavePaused: false, ct));

            Assert.Contains("no space", ex.Message);
            Assert.True(failing.StateWritten);
            Assert.Empty(store.List(null));
            Assert.Empty(Directory.EnumerateFileSystemEntries(store.Root));
            Assert.False(await process.IsPausedAsync(ct));
            var now = CountingGuest.Counts(directory)[^1];
            await CountingGuest.WaitForCountAsync(directory, now + 3);
        }
        finally
        {
            await process.KillAsync(ct);
        }
    }

    [Fact]
    public async Task Snapshot_CancelledWhileSaving_KeepsNothingAndTheGuestRunsOn()
    {
        var ct = TestContext.Current.CancellationToken;
        var (launch, directory) = await guest.PrepareAsync(memoryMiB: 256);
        var store = new SnapshotStore(Path.Combine(guest.Data.Path, "cancelled"));
        await using var process = await guest.Driver.LaunchAsync(launch, directory, ct);
        try
        {
            await CountingGuest.WaitForCountAsync(directory, 3);

            // Cancelled while QEMU writes its state: the save runs to its end (a cancel in QEMU's last phase is not safe),
            // then the draft is removed and the VM resumed.
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var interrupted = new CancelsWhileSaving(process, cancel);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                SnapshotTaker.TakeAsync(interrupted, directory.Disk, store, Template(launch), leavePaused: false, cancel.Token));

            Assert.Empty(store.List(null));
            Assert.Empty(Directory.EnumerateFileSystemEntries(store.Root));
            Assert.False(await process.IsPausedAsync(ct));
            var now = CountingGuest.Counts(directory)[^1];
            await CountingGuest.WaitForCountAsync(directory, now + 3);
        }
        finally
        {
            await process.KillAsync(ct);
        }
    }

    [Fact]
    public async Task Restore_MissingMachineState_FailsSayingSoAndLeavesNoProcess()
    {
        var ct = TestContext.Current.CancellationToken;
        var (launch, directory) = await guest.PrepareAsync();
        var empty = Directory.CreateDirectory(Path.Combine(guest.Data.Path, "empty-state")).FullName;

        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => guest.Driver.LaunchAsync(launch with { RestoreFrom = empty }, directory, ct));

        Assert.Contains("no qemu machine state", ex.Message);
        Assert.False(ProcessInfo.TryReadPid(directory.PidFile, out var pid) && ProcessInfo.IsAlive(pid));
    }

    private static SnapshotInfo Template(VmLaunch launch) =>
        new("", "counter-" + Guid.NewGuid().ToString("N")[..6], launch.VmId, launch.Name, "test-node", launch.Driver, launch.VCpus, launch.MemoryMiB,
            launch.DiskGiB, null, DateTimeOffset.UtcNow, 0, 0);

    /// <summary>The real process, whose snapshot then fails as if the node's disk were full.</summary>
    private sealed class FailsAfterSnapshot(IVmProcess inner) : DelegatingVmProcess(inner)
    {
        public bool StateWritten { get; private set; }

        public override async Task SnapshotAsync(string directory, CancellationToken cancellationToken)
        {
            await Inner.SnapshotAsync(directory, cancellationToken);
            StateWritten = Directory.EnumerateFiles(directory).Any(f => new FileInfo(f).Length > 0);
            throw new IOException("no space left on device (simulated after the machine state was written)");
        }
    }

    /// <summary>The real process, whose snapshot is cancelled as soon as QEMU has begun writing the state.</summary>
    private sealed class CancelsWhileSaving(IVmProcess inner, CancellationTokenSource cancel) : DelegatingVmProcess(inner)
    {
        public override async Task SnapshotAsync(string directory, CancellationToken cancellationToken)
        {
            var saving = Inner.SnapshotAsync(directory, cancellationToken);
            while (!saving.IsCompleted && !Directory.EnumerateFiles(directory).Any(f => new FileInfo(f).Length > 0))
            {
                await Task.Delay(1, CancellationToken.None);
            }

            cancel.Cancel();
            await saving;
            cancellationToken.ThrowIfCancellationRequested(); // finished before it saw the cancel: still an interrupted snapshot
        }
    }
}
