using System.Diagnostics;
using Formation.Silo.Hypervisors;
using Formation.Silo.Platform;
using Formation.Snapshots;

namespace Formation.Silo.Snapshots;

/// <summary>
/// Takes a snapshot of one running VM process: pause → machine state (<see cref="IVmProcess.SnapshotAsync"/>) →
/// point-in-time copy of the disk → resume (unless it was paused before, or the caller will end it) → commit to the
/// store. Nothing half-done: on any failure or cancellation the draft is removed and the VM is resumed, so it runs on
/// and no snapshot is listed. The caller keeps other operations on the VM out meanwhile.
/// </summary>
public static class SnapshotTaker
{
    /// <param name="disk">The VM's disk file, or null when it has none.</param>
    /// <param name="template">The manifest to keep; id, sizes and time are filled in.</param>
    /// <param name="leavePaused">True when the caller ends the process right after (<c>--stop</c>): it is not resumed.</param>
    public static async Task<SnapshotTaken> TakeAsync(
        IVmProcess process, string? disk, SnapshotStore store, SnapshotInfo template, bool leavePaused, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var wasPaused = await process.IsPausedAsync(cancellationToken);
        var draft = store.Begin();
        var resumed = wasPaused || leavePaused;
        try
        {
            if (!wasPaused)
            {
                await process.PauseAsync(cancellationToken);
            }

            await process.SnapshotAsync(draft.MachineDirectory, cancellationToken);
            if (disk is not null)
            {
                await HostDisks.CopyAsync(disk, draft.Disk, cancellationToken);
            }

            var paused = clock.Elapsed;
            if (!resumed)
            {
                await process.ResumeAsync(cancellationToken);
                resumed = true;
            }

            var info = await store.CommitAsync(draft, template with { CreatedAt = DateTimeOffset.UtcNow }, cancellationToken);
            return new SnapshotTaken(info, paused, clock.Elapsed);
        }
        catch
        {
            SnapshotStore.Discard(draft);
            if (!wasPaused && (!resumed || leavePaused) && !process.Exited.IsCompleted)
            {
                // Not cancellable: the VM must not be left paused by a snapshot that did not happen.
                await process.ResumeAsync(CancellationToken.None);
            }

            throw;
        }
    }
}
