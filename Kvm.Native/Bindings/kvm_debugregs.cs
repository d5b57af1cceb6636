using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_debugregs (128 bytes): DR0-DR3, DR6, DR7.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_debugregs
{
    public Db4 db;
    public ulong dr6;
    public ulong dr7;
    public ulong flags;
    public Reserved9 reserved;

    [InlineArray(4)]
    public struct Db4
    {
        private ulong _element0;
    }

    [InlineArray(9)]
    public struct Reserved9
    {
        private ulong _element0;
    }
}
