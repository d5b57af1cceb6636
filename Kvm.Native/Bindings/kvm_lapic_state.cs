using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_lapic_state (1024 bytes): the local APIC register page.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_lapic_state
{
    public Regs regs;

    public uint Read(int offset) => MemoryMarshal.Read<uint>(((ReadOnlySpan<byte>)regs)[offset..]);

    public void Write(int offset, uint value) => MemoryMarshal.Write(((Span<byte>)regs)[offset..], in value);

    [InlineArray(1024)]
    public struct Regs
    {
        private byte _element0;
    }
}
