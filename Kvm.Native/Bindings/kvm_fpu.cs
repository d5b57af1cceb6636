using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_fpu (416 bytes): x87 and SSE state.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_fpu
{
    public Bytes128 fpr;
    public ushort fcw;
    public ushort fsw;
    public byte ftwx;
    public byte pad1;
    public ushort last_opcode;
    public ulong last_ip;
    public ulong last_dp;
    public Bytes256 xmm;
    public uint mxcsr;
    public uint pad2;

    [InlineArray(128)]
    public struct Bytes128
    {
        private byte _element0;
    }

    [InlineArray(256)]
    public struct Bytes256
    {
        private byte _element0;
    }
}
