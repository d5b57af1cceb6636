using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_xcrs (392 bytes): up to 16 extended control registers (XCR0 is the one there is).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_xcrs
{
    public const int KVM_MAX_XCRS = 16;

    public uint nr_xcrs;
    public uint flags;
    public Xcrs16 xcrs;
    public Padding16 padding;

    [InlineArray(KVM_MAX_XCRS)]
    public struct Xcrs16
    {
        private kvm_xcr _element0;
    }

    [InlineArray(16)]
    public struct Padding16
    {
        private ulong _element0;
    }
}
