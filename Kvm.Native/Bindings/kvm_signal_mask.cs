using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_signal_mask, the header of KVM_SET_SIGNAL_MASK: <see cref="len"/> bytes of kernel sigset follow it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_signal_mask
{
    public uint len;
}
