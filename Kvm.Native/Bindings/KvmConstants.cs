namespace Formation.Kvm.Native.Bindings;

/// <summary>
/// Values of kvm_run fields and vCPU state from &lt;linux/kvm.h&gt;, names verbatim (the ioctl numbers are in
/// <see cref="KvmIoctls"/>). Every constant here is compared with the header by KernelAbiTests' gcc probe.
/// </summary>
public static class KvmConstants
{
    /// <summary>kvm_run.system_event.type: the guest asked to power off (e.g. PSCI/ACPI shutdown).</summary>
    public const uint KVM_SYSTEM_EVENT_SHUTDOWN = 1;

    /// <summary>kvm_run.system_event.type: the guest asked to reset.</summary>
    public const uint KVM_SYSTEM_EVENT_RESET = 2;

    /// <summary>kvm_run.system_event.type: the guest reported a crash.</summary>
    public const uint KVM_SYSTEM_EVENT_CRASH = 3;

    /// <summary>kvm_run.internal.suberror: KVM's instruction emulator failed.</summary>
    public const uint KVM_INTERNAL_ERROR_EMULATION = 1;

    /// <summary>kvm_run.emulation_failure.flags: the instruction bytes are in insn_bytes.</summary>
    public const ulong KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES = 1;

    /// <summary>struct kvm_mp_state: the vCPU runs (an AP set to it starts without INIT/SIPI).</summary>
    public const uint KVM_MP_STATE_RUNNABLE = 0;

    /// <summary>struct kvm_mp_state: an AP that has not received INIT yet.</summary>
    public const uint KVM_MP_STATE_UNINITIALIZED = 1;

    /// <summary>struct kvm_mp_state: an AP between INIT and SIPI.</summary>
    public const uint KVM_MP_STATE_INIT_RECEIVED = 2;

    /// <summary>struct kvm_mp_state: the vCPU executed HLT and waits for an interrupt (in the kernel irqchip).</summary>
    public const uint KVM_MP_STATE_HALTED = 3;

    /// <summary>The highest KVM_MP_STATE_* value (KVM_MP_STATE_SUSPENDED); a snapshot naming a higher one is refused.</summary>
    public const uint KVM_MP_STATE_SUSPENDED = 10;

    /// <summary>kvm_irqchip.chip_id: the master 8259 PIC.</summary>
    public const uint KVM_IRQCHIP_PIC_MASTER = 0;

    /// <summary>kvm_irqchip.chip_id: the slave 8259 PIC.</summary>
    public const uint KVM_IRQCHIP_PIC_SLAVE = 1;

    /// <summary>kvm_irqchip.chip_id: the IOAPIC.</summary>
    public const uint KVM_IRQCHIP_IOAPIC = 2;

    /// <summary>kvm_vcpu_events.flags: nmi.pending is to be set (KVM_SET_VCPU_EVENTS ignores it otherwise).</summary>
    public const uint KVM_VCPUEVENT_VALID_NMI_PENDING = 1;

    /// <summary>kvm_vcpu_events.flags: sipi_vector is to be set.</summary>
    public const uint KVM_VCPUEVENT_VALID_SIPI_VECTOR = 2;
}
