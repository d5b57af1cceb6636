namespace Formation.Kvm.Native.Vcpu;

/// <summary>What a vCPU exit means for the machine.</summary>
public enum VcpuExitKind
{
    /// <summary>Handled (port I/O, MMIO ...); run again.</summary>
    Continue,

    /// <summary>KVM_RUN returned EINTR/EAGAIN: the vCPU was kicked.</summary>
    Interrupted,

    /// <summary>HLT exit (only without the in-kernel irqchip).</summary>
    Halt,

    /// <summary>Triple fault (KVM_EXIT_SHUTDOWN).</summary>
    TripleFault,

    /// <summary>KVM_EXIT_SYSTEM_EVENT shutdown (PSCI/ACPI power-off).</summary>
    PowerOff,

    /// <summary>KVM_EXIT_SYSTEM_EVENT reset.</summary>
    Reset,

    /// <summary>KVM_EXIT_SYSTEM_EVENT crash.</summary>
    Crash,

    /// <summary>KVM_EXIT_INTERNAL_ERROR (e.g. an instruction KVM cannot emulate).</summary>
    InternalError,

    /// <summary>KVM_EXIT_FAIL_ENTRY: the hardware refused the vCPU state.</summary>
    FailEntry,

    /// <summary>An exit reason this VMM does not handle.</summary>
    Unknown,
}
