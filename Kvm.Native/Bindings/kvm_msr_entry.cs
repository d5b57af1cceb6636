using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_msr_entry (16 bytes); an array of them follows the 8-byte kvm_msrs header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_msr_entry
{
    public uint index;
    public uint reserved;
    public ulong data;
}
