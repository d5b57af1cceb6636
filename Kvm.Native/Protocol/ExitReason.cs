using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>
/// Why a VM stopped. The numeric value is formation-vmm's process exit status (documented in
/// Kvm.Native/README.md); 0 means the guest powered itself off. On the control socket it travels by name
/// (<c>"exitReason":"Reset"</c>) next to the number (<c>"exitStatus":10</c>).
/// </summary>
[JsonConverter(typeof(StrictEnumConverter<ExitReason>))]
public enum ExitReason
{
    /// <summary>The guest powered off or halted all its vCPUs (poweroff, halt).</summary>
    PowerOff = 0,

    /// <summary>Bad command line or VM config (formation-vmm only).</summary>
    UsageError = 2,

    /// <summary>The VM could not be set up (no KVM, bad kernel image, TAP or disk unavailable).</summary>
    SetupError = 3,

    /// <summary>The guest rebooted (i8042 reset, KVM reset event). The VMM does not restart it.</summary>
    Reset = 10,

    /// <summary>Triple fault (KVM_EXIT_SHUTDOWN): the guest crashed hard.</summary>
    TripleFault = 11,

    /// <summary>The guest reported a crash (KVM_SYSTEM_EVENT_CRASH).</summary>
    GuestCrash = 12,

    /// <summary>KVM could not run the guest (internal/emulation error, failed entry).</summary>
    EmulationError = 13,

    /// <summary>Stopped by a kill request (control API or SIGTERM/SIGINT).</summary>
    Killed = 14,

    /// <summary>A graceful shutdown did not finish before its deadline, so the VM was killed.</summary>
    ShutdownTimeout = 15,

    /// <summary>The VMM itself failed while running (unexpected KVM error, internal bug).</summary>
    VmmError = 16,
}
