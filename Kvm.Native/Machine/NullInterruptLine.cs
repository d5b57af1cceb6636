using Formation.Kvm.Native.Devices;

namespace Formation.Kvm.Native.Machine;

/// <summary>An interrupt line that goes nowhere (VMs without the in-kernel irqchip).</summary>
public sealed class NullInterruptLine : IInterruptLine
{
    public static readonly NullInterruptLine Instance = new();

    public void SetLevel(bool high)
    {
    }
}
