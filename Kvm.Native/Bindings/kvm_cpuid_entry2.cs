using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_cpuid_entry2 (40 bytes); an array follows the 8-byte kvm_cpuid2 header (nent, padding).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_cpuid_entry2
{
    public const uint KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1;

    public uint function;
    public uint index;
    public uint flags;
    public uint eax, ebx, ecx, edx;
    public uint padding0, padding1, padding2;
}
