using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_clock_data (48 bytes): the VM's kvmclock, saved across pause/resume.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_clock_data
{
    public ulong clock;
    public uint flags;
    public uint pad0;
    public ulong realtime;
    public ulong host_tsc;
    public Pad4 pad;

    [InlineArray(4)]
    public struct Pad4
    {
        private uint _element0;
    }
}
