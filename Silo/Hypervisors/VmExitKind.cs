namespace Formation.Silo.Hypervisors;

public enum VmExitKind
{
    /// <summary>The guest powered off (or halted).</summary>
    PowerOff,

    /// <summary>The guest rebooted; the hypervisor process ended instead of resetting.</summary>
    Reboot,

    /// <summary>Killed on request (stop deadline, delete, reboot).</summary>
    Killed,

    /// <summary>Anything else: the hypervisor or the guest crashed, or the process vanished.</summary>
    Crash,
}
