using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_irqfd (32 bytes): an eventfd that raises a GSI when written.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_irqfd
{
    public uint fd;
    public uint gsi;
    public uint flags;
    public uint resamplefd;
    public Pad16 pad;

    [InlineArray(16)]
    public struct Pad16
    {
        private byte _element0;
    }
}
