namespace Formation.Kvm.Native.Machine;

/// <summary>Lifecycle of a VM: Created → Running ⇄ Paused → Stopped.</summary>
public enum MachineState
{
    Created,
    Running,
    Paused,
    Stopped,
}
