using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>
/// struct kvm_cpuid2, the header of KVM_SET_CPUID2 and KVM_GET_SUPPORTED_CPUID: <see cref="nent"/>
/// <see cref="kvm_cpuid_entry2"/> entries follow it (a flexible array member that starts at sizeof(struct kvm_cpuid2)).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_cpuid2
{
    public uint nent;
    public uint padding;
}
