using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_xcr (16 bytes): one extended control register.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_xcr
{
    public uint xcr;
    public uint reserved;
    public ulong value;
}
