namespace Formation.Kvm.Native.Machine.Snapshots;

/// <summary>
/// One vCPU's state: the CPUID it was given (kvm_cpuid_entry2 array) and kvm_regs, kvm_sregs, kvm_fpu, kvm_xsave and
/// kvm_xcrs (null where KVM has no XSAVE), kvm_debugregs, kvm_lapic_state (null without the in-kernel irqchip),
/// kvm_vcpu_events, the MP state and the MSRs of KVM_GET_MSR_INDEX_LIST that KVM could read.
/// </summary>
public sealed record VcpuSnapshot(
    uint Id,
    byte[] Cpuid,
    byte[] Regs,
    byte[] Sregs,
    byte[] Fpu,
    byte[]? Xsave,
    byte[]? Xcrs,
    byte[] DebugRegs,
    byte[]? Lapic,
    byte[] Events,
    uint MpState,
    IReadOnlyList<MsrValue> Msrs);
