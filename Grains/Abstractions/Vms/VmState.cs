namespace Formation.Vms;

/// <summary>The life of a VM. See <see cref="VmTransitions"/> for which moves are legal.</summary>
[GenerateSerializer]
[Alias("formation.vm-state")]
public enum VmState
{
    /// <summary>Accepted, not yet placed on a node.</summary>
    Pending = 0,

    /// <summary>Capacity reserved on a node.</summary>
    Scheduled = 1,

    /// <summary>The host is preparing and booting the VM.</summary>
    Provisioning = 2,

    /// <summary>The guest reported ready.</summary>
    Running = 3,

    /// <summary>All vCPUs are stopped; memory is kept.</summary>
    Paused = 4,

    /// <summary>The guest is being shut down.</summary>
    Stopping = 5,

    /// <summary>Shut down; disk and reservation kept; can be started again.</summary>
    Stopped = 6,

    /// <summary>Being removed from its host.</summary>
    Deleting = 7,

    /// <summary>Gone; capacity released.</summary>
    Deleted = 8,

    /// <summary>The host could not run it, or the VM died unexpectedly.</summary>
    Failed = 9,

    /// <summary>Its host stopped answering; the VM's real state is unknown.</summary>
    Lost = 10,
}
