using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_pit_config (64 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_pit_config
{
    public uint flags;
    public Pad15 pad;

    [InlineArray(15)]
    public struct Pad15
    {
        private uint _element0;
    }
}
