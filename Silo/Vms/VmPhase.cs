namespace Formation.Silo.Vms;

/// <summary>What the runtime is doing with a VM; decides how a process exit is read.</summary>
public enum VmPhase
{
    Stopped,
    Booting,
    Running,
    Stopping,
    Rebooting,
    Deleting,
    Failed,
}
