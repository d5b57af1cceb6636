using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>
/// struct kvm_irqchip (520 bytes): one in-kernel interrupt controller's state, <see cref="chip_id"/> saying which
/// (<see cref="KvmConstants.KVM_IRQCHIP_PIC_MASTER"/>, PIC_SLAVE, IOAPIC); the union (kvm_pic_state or
/// kvm_ioapic_state) is kept as its 512 bytes.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_irqchip
{
    public uint chip_id;
    public uint pad;
    public Chip512 chip;

    [InlineArray(512)]
    public struct Chip512
    {
        private byte _element0;
    }
}
