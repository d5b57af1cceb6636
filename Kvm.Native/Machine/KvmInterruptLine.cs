using Formation.Kvm.Native.Devices;
using Formation.Kvm.Native.Kvm;

namespace Formation.Kvm.Native.Machine;

/// <summary>A GSI of the in-kernel PIC/IOAPIC, driven with KVM_IRQ_LINE.</summary>
public sealed class KvmInterruptLine(KvmVm vm, uint gsi) : IInterruptLine
{
    private long _failures;

    public uint Gsi => gsi;

    public long Failures => Interlocked.Read(ref _failures);

    public void SetLevel(bool high)
    {
        if (vm.TrySetIrqLine(gsi, high) < 0)
        {
            Interlocked.Increment(ref _failures);
        }
    }
}
