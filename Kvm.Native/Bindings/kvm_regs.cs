using System.Runtime.InteropServices;

namespace Formation.Kvm.Native.Bindings;

/// <summary>struct kvm_regs (144 bytes): general-purpose registers, rip and rflags.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct kvm_regs
{
    public ulong rax, rbx, rcx, rdx;
    public ulong rsi, rdi, rsp, rbp;
    public ulong r8, r9, r10, r11;
    public ulong r12, r13, r14, r15;
    public ulong rip, rflags;
}
