using Formation.Silo.Hypervisors;
namespace Formation.Silo.Vms;

/// <summary>What the runtime holds for one VM of this node: its launch record, its process, what it is doing.</summary>
public sealed class ManagedVm(VmLaunch launch, VmDirectory directory)
{
    private TaskCompletionSource _launch = Settled();

    /// <summary>One operation at a time per VM.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    public VmLaunch Launch { get; set; } = launch;

    public VmDirectory Directory { get; } = directory;

    public IVmProcess? Process { get; set; }

    public VmPhase Phase { get; set; } = VmPhase.Stopped;

    /// <summary>Whether the last pause or resume through the runtime left the vCPUs stopped (false after a boot).</summary>
    public bool Paused { get; set; }

    /// <summary>Why the VM is not running, when the runtime knows (e.g. its process vanished while the silo was down).</summary>
    public string? Problem { get; set; }

    /// <summary>Console log length when the current boot started (the readiness line must come after it).</summary>
    public long BootOffset { get; set; }

    /// <summary>Runs from the start of the current boot (hypervisor launch) to the readiness line.</summary>
    public System.Diagnostics.Stopwatch BootClock { get; } = new();

    /// <summary>
    /// Completes when the launch scheduled last has had its turn at <see cref="Gate"/>: it started the process, or gave
    /// up because the VM was stopped or deleted first. A delete waits for it, so no process can start after it.
    /// </summary>
    public Task LaunchSettled => _launch.Task;

    /// <summary>Processes started for this VM (kept across silo restarts in <see cref="VmBootCounts"/>).</summary>
    public long Boots { get; set; }

    /// <summary>Of <see cref="Boots"/>, those that followed an exit the node did not ask for.</summary>
    public long Restarts { get; set; }

    /// <summary>Whether the last process ended without the node asking (the next boot is then a restart).</summary>
    public bool ExitedUnasked { get; set; }

    /// <summary>How long the last boot took to report ready (null until one has, and after a silo restart).</summary>
    public TimeSpan? ReadyTime { get; set; }

    /// <summary>Reboots the guest asked for since the last time it became ready (a reboot loop guard).</summary>
    public int GuestReboots { get; set; }

    /// <summary>The snapshot the launch scheduled last starts from (null: it boots).</summary>
    public string? RestoringFrom { get; set; }

    /// <summary>The launch scheduled last is a clone's: once restored, its guest is given the VM's own identity before it counts as running.</summary>
    public bool Cloning { get; set; }

    /// <summary>Where an arriving VM's state comes in (live migration), while the launch waits for it; null otherwise.</summary>
    public MigrationChannel? Incoming { get; set; }

    /// <summary>Marks a launch as scheduled (call it holding <see cref="Gate"/>); the launch completes the answer when settled.</summary>
    public TaskCompletionSource ScheduleLaunch() =>
        _launch = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource Settled()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }
}
