using Formation.Identity;

namespace Formation.Vms;

/// <summary>
/// One VM. Key: <c>node-id/vm-id</c> (<see cref="GrainKeys.Vm"/>); activated only on the silo of that node.
/// Every method refuses illegal state transitions with a Conflict error that names the current state.
/// </summary>
[Alias("formation.vm")]
public interface IVmGrain : IGrainWithStringKey
{
    /// <summary>Creates the VM on this node (capacity is already reserved) and starts provisioning it.</summary>
    [Alias("create")]
    [Mutating]
    [NodeOnly]
    Task<VmInfo> CreateAsync(VmSpec spec);

    /// <summary>Returns the VM; NotFound if it was never created or is deleted.</summary>
    [Alias("get")]
    [NonMutating]
    Task<VmInfo> GetAsync();

    /// <summary>
    /// The VM's record once it is in <paramref name="target"/> or Failed, or when <paramref name="patience"/> (at most
    /// <see cref="VmWaits.MaxPatience"/>) has passed, whichever is first: what a command that waits for a state calls
    /// instead of polling. Interleaves with the transitions it waits for.
    /// </summary>
    [Alias("wait")]
    [NonMutating]
    [AlwaysInterleave]
    Task<VmInfo> WaitForAsync(VmState target, TimeSpan patience);

    /// <summary>Boots a Stopped or Failed VM.</summary>
    [Alias("start")]
    [Mutating]
    Task<VmInfo> StartAsync();

    /// <summary>Shuts a Running or Paused VM down.</summary>
    [Alias("stop")]
    [Mutating]
    Task<VmInfo> StopAsync();

    /// <summary>Stops all vCPUs of a Running VM.</summary>
    [Alias("pause")]
    [Mutating]
    Task<VmInfo> PauseAsync();

    /// <summary>Continues a Paused VM.</summary>
    [Alias("resume")]
    [Mutating]
    Task<VmInfo> ResumeAsync();

    /// <summary>Restarts a Running or Paused VM's guest (hard reset); it is Running again when the guest reports ready.</summary>
    [Alias("reboot")]
    [Mutating]
    Task<VmInfo> RebootAsync();

    /// <summary>
    /// Pauses a Running (or Paused) VM, saves its machine state and a copy of its disk to the node's snapshot store, and
    /// resumes it — or leaves it Stopped when <paramref name="stop"/>. <paramref name="name"/> null: the VM's name and the time.
    /// </summary>
    [Alias("snapshot")]
    [Mutating]
    Task<Snapshots.SnapshotInfo> SnapshotAsync(string? name, bool stop);

    /// <summary>Brings the VM back to snapshot <paramref name="snapshot"/> (one of its own); it is Running again once restored.</summary>
    [Alias("restore")]
    [Mutating]
    Task<VmInfo> RestoreAsync(string snapshot);

    /// <summary>Adds a disk of <paramref name="sizeMiB"/> to the Running VM (the guest sees it at once) and records it in the spec.</summary>
    [Alias("disk-add")]
    [Mutating]
    Task<VmDisk> AddDiskAsync(long sizeMiB);

    /// <summary>Unplugs an added disk from the Running VM, deletes its contents and drops it from the spec.</summary>
    [Alias("disk-remove")]
    [Mutating]
    Task<VmInfo> RemoveDiskAsync(string disk);

    /// <summary>Adds a network interface (own TAP, MAC and address) to the Running VM and records it in the spec.</summary>
    [Alias("nic-add")]
    [Mutating]
    Task<VmNic> AddNicAsync();

    /// <summary>Unplugs an added network interface from the Running VM and drops it from the spec.</summary>
    [Alias("nic-remove")]
    [Mutating]
    Task<VmInfo> RemoveNicAsync(string nic);

    /// <summary>Sets the memory the Running VM's balloon leaves the guest: down to the minimum, up to what it booted with.</summary>
    [Alias("resize-memory")]
    [Mutating]
    Task<VmMemory> ResizeMemoryAsync(long memoryMiB);

    /// <summary>Removes the VM from its host and releases its capacity.</summary>
    [Alias("delete")]
    [Mutating]
    Task<VmInfo> DeleteAsync();

    /// <summary>The VM's transitions, oldest first.</summary>
    [Alias("events")]
    [NonMutating]
    Task<IReadOnlyList<VmEvent>> GetEventsAsync();

    /// <summary>
    /// Migration, on the VM's node: saves the running VM's machine state and disk as a snapshot and stops it there, marked
    /// as moving to <paramref name="toNode"/> (other operations wait for the move to end). Returns the snapshot.
    /// </summary>
    [Alias("move-out")]
    [Mutating]
    [NodeOnly]
    [ResponseTimeout("00:05:00")]
    Task<Snapshots.SnapshotInfo> MoveOutAsync(string toNode);

    /// <summary>Migration, on the new node: this grain becomes the VM (same id, spec, owner, address) and restores the copied snapshot.</summary>
    [Alias("move-in")]
    [Mutating]
    [NodeOnly]
    Task<VmInfo> MoveInAsync(VmArrival arrival);

    /// <summary>Migration done: the old node lets the VM go (its process and files; its address stays the VM's) and forgets it.</summary>
    [Alias("moved-out")]
    [Mutating]
    [NodeOnly]
    Task MovedOutAsync();

    /// <summary>Migration failed on the new node: it lets go of what it started (the VM runs on its old node again).</summary>
    [Alias("abandon-move-in")]
    [Mutating]
    [NodeOnly]
    Task AbandonMoveInAsync();

    /// <summary>
    /// Live migration, on the new node: this grain becomes the VM (as <see cref="MoveInAsync"/>) and its node starts a process
    /// that waits for the VM's state; returns where the old node sends it. Null when this node cannot take a VM live (its
    /// driver cannot, or it has no mesh for the stream): nothing is started, and the move goes by stop and copy.
    /// </summary>
    [Alias("receive-move")]
    [Mutating]
    [NodeOnly]
    Task<MigrationInbox?> ReceiveMoveAsync(VmArrival arrival);

    /// <summary>
    /// Live migration, on the VM's node: sends the running VM to <paramref name="inbox"/> on <paramref name="toNode"/> while it
    /// runs, marked as moving; returns once the new node has all of it (paused here from then on). On failure it runs on here.
    /// </summary>
    [Alias("send-move")]
    [Mutating]
    [NodeOnly]
    [ResponseTimeout("00:10:00")]
    Task SendMoveAsync(string toNode, MigrationInbox inbox);

    /// <summary>
    /// Migration failed: the old node restores the VM from the snapshot it took for the move (or, after a live migration,
    /// null: continues the VM it kept), and it runs there again.
    /// </summary>
    [Alias("abort-move-out")]
    [Mutating]
    [NodeOnly]
    Task<VmInfo> AbortMoveOutAsync(string? snapshotId);

    /// <summary>Called by the host when it observes the VM change state (booted, exited, crashed).</summary>
    [Alias("report")]
    [Mutating]
    [NodeOnly]
    Task ReportAsync(HostReport report);
}
