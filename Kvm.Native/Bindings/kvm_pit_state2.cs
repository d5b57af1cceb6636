using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_pit_state2 (112 bytes): the in-kernel i8254's three channels (24 bytes each, kept as bytes) and flags.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_pit_state2
{
    public Channels72 channels;
    public uint flags;
    public Reserved9 reserved;

    [InlineArray(72)]
    public struct Channels72
    {
        private byte _element0;
    }

    [InlineArray(9)]
    public struct Reserved9
    {
        private uint _element0;
    }
}
