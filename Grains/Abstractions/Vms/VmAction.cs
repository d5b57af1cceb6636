namespace Formation.Vms;

/// <summary>What a user can ask of a VM after creating it.</summary>
public enum VmAction
{
    Start,
    Stop,
    Pause,
    Resume,
    Reboot,
    Delete,
}
