using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_msr_list, the header of KVM_GET_MSR_INDEX_LIST: <see cref="nmsrs"/> u32 MSR indices follow it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_msr_list
{
    public uint nmsrs;
}
