using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_sregs (312 bytes): segment, control and descriptor-table registers.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_sregs
{
    public kvm_segment cs, ds, es, fs, gs, ss;
    public kvm_segment tr, ldt;
    public kvm_dtable gdt, idt;
    public ulong cr0, cr2, cr3, cr4, cr8;
    public ulong efer;
    public ulong apic_base;
    public InterruptBitmap interrupt_bitmap;

    /// <summary>__u64 interrupt_bitmap[(KVM_NR_INTERRUPTS + 63) / 64] with KVM_NR_INTERRUPTS = 256.</summary>
    [InlineArray(4)]
    public struct InterruptBitmap
    {
        private ulong _element0;
    }
}
