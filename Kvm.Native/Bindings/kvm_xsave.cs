using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_xsave (4096 bytes): the vCPU's XSAVE area (x87, SSE, AVX ... state), as KVM_GET_XSAVE returns it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_xsave
{
    public Region4096 region;

    [InlineArray(4096)]
    public struct Region4096
    {
        private byte _element0;
    }
}
