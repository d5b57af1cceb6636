using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_vcpu_events (64 bytes), flattened: exception.*, interrupt.*, nmi.*, smi.*, triple_fault.pending.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_vcpu_events
{
    public byte exception_injected, exception_nr, exception_has_error_code, exception_pending;
    public uint exception_error_code;
    public byte interrupt_injected, interrupt_nr, interrupt_soft, interrupt_shadow;
    public byte nmi_injected, nmi_pending, nmi_masked, nmi_pad;
    public uint sipi_vector;
    public uint flags;
    public byte smi_smm, smi_pending, smi_smm_inside_nmi, smi_latched_init;
    public byte triple_fault_pending;
    public Reserved26 reserved;
    public byte exception_has_payload;
    public ulong exception_payload;

    [InlineArray(26)]
    public struct Reserved26
    {
        private byte _element0;
    }
}
