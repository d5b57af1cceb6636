using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>
/// struct kvm_msrs, the header of KVM_GET/SET_MSRS: <see cref="nmsrs"/> <see cref="kvm_msr_entry"/> entries follow it
/// (a flexible array member that starts at sizeof(struct kvm_msrs)).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_msrs
{
    public uint nmsrs;
    public uint pad;
}
