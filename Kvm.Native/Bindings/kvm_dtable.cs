using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_dtable (16 bytes): GDT/IDT base and limit.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_dtable
{
    public ulong @base;
    public ushort limit;
    public ushort padding0, padding1, padding2;
}
