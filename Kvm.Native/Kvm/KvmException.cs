using Formation.Kvm.Native.Interop;

namespace Formation.Kvm.Native.Kvm;

/// <summary>A KVM ioctl failed. The message names the ioctl and the errno, e.g.
/// "KVM_CREATE_VCPU failed: EEXIST (File exists)".</summary>
public sealed class KvmException(string operation, int errno, string? hint = null)
    : NativeException(operation, errno, hint);
