using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_irq_level (8 bytes): GSI and level for KVM_IRQ_LINE.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_irq_level
{
    public uint irq;
    public uint level;
}
