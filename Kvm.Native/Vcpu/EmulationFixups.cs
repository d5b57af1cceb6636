using System.Buffers.Binary;
using System.Numerics;
using Formation.Kvm.Native.Bindings;

namespace Formation.Kvm.Native.Vcpu;

/// <summary>
/// Nested-PVM compatibility (KVM-NOTES §4 pitfalls 5, 7, 8): on hosts whose /dev/kvm runs guest ring 0
/// in KVM's instruction emulator, a few instructions fail with KVM_EXIT_INTERNAL_ERROR (EMULATION).
/// This completes them from the VMM: FWAIT as a no-op, INT3 as an injected #BP, POPCNT reg,reg.
/// Pure over the instruction bytes and registers; never used on hosts with VT-x/AMD-V.
/// </summary>
public static class EmulationFixups
{
    public enum Fix
    {
        None,
        Skipped,
        InjectBreakpoint,
        Emulated,
    }

    /// <summary>The instruction bytes of an emulation failure, or empty when KVM did not report them.</summary>
    public static ReadOnlySpan<byte> InstructionBytes(kvm_run run)
    {
        if (run.internal_suberror != KvmConstants.KVM_INTERNAL_ERROR_EMULATION)
        {
            return [];
        }

        var data = run.internal_data;
        var flags = BinaryPrimitives.ReadUInt64LittleEndian(data);
        if ((flags & KvmConstants.KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES) == 0)
        {
            return [];
        }

        int size = data[8];
        return data.Slice(9, Math.Min(size, 15));
    }

    /// <summary>Applies a fix-up to <paramref name="regs"/> if the instruction is one we know.</summary>
    public static Fix TryApply(ReadOnlySpan<byte> insn, ref kvm_regs regs)
    {
        if (insn.IsEmpty)
        {
            return Fix.None;
        }

        switch (insn[0])
        {
            case 0x9b: // FWAIT: no pending x87 exceptions to deliver (the guest never unmasks them here)
                regs.rip += 1;
                return Fix.Skipped;
            case 0xcc: // INT3: deliver #BP as the CPU would (trap: RIP after the instruction)
                regs.rip += 1;
                return Fix.InjectBreakpoint;
            case 0xf3:
                return TryPopcnt(insn, ref regs) ? Fix.Emulated : Fix.None;
            default:
                return Fix.None;
        }
    }

    /// <summary>F3 [REX] 0F B8 /r with a register source (mod = 11).</summary>
    private static bool TryPopcnt(ReadOnlySpan<byte> insn, ref kvm_regs regs)
    {
        var i = 1;
        byte rex = 0;
        if (i < insn.Length && insn[i] is >= 0x40 and <= 0x4f)
        {
            rex = insn[i++];
        }

        if (insn.Length < i + 3 || insn[i] != 0x0f || insn[i + 1] != 0xb8)
        {
            return false;
        }

        var modrm = insn[i + 2];
        if (modrm >> 6 != 3)
        {
            return false;
        }

        var dest = ((modrm >> 3) & 7) | ((rex & 0x4) << 1);
        var src = (modrm & 7) | ((rex & 0x1) << 3);
        var wide = (rex & 0x8) != 0;
        var value = GetRegister(ref regs, src);
        if (!wide)
        {
            value &= 0xffff_ffff;
        }

        var count = (ulong)BitOperations.PopCount(value);
        SetRegister(ref regs, dest, count);
        const ulong arithmeticFlags = X86Constants.X86_EFLAGS_CF | X86Constants.X86_EFLAGS_PF | X86Constants.X86_EFLAGS_AF
            | X86Constants.X86_EFLAGS_ZF | X86Constants.X86_EFLAGS_SF | X86Constants.X86_EFLAGS_OF;
        regs.rflags = (regs.rflags & ~arithmeticFlags) | (value == 0 ? X86Constants.X86_EFLAGS_ZF : 0);
        regs.rip += (ulong)(i + 3);
        return true;
    }

    /// <summary>x86 register number (0 = rax, 1 = rcx, 2 = rdx, 3 = rbx, 4 = rsp, 5 = rbp, 6 = rsi, 7 = rdi, 8-15 = r8-r15).</summary>
    public static ulong GetRegister(ref kvm_regs r, int n) => n switch
    {
        0 => r.rax, 1 => r.rcx, 2 => r.rdx, 3 => r.rbx, 4 => r.rsp, 5 => r.rbp, 6 => r.rsi, 7 => r.rdi,
        8 => r.r8, 9 => r.r9, 10 => r.r10, 11 => r.r11, 12 => r.r12, 13 => r.r13, 14 => r.r14, _ => r.r15,
    };

    public static void SetRegister(ref kvm_regs r, int n, ulong v)
    {
        switch (n)
        {
            case 0: r.rax = v; break;
            case 1: r.rcx = v; break;
            case 2: r.rdx = v; break;
            case 3: r.rbx = v; break;
            case 4: r.rsp = v; break;
            case 5: r.rbp = v; break;
            case 6: r.rsi = v; break;
            case 7: r.rdi = v; break;
            case 8: r.r8 = v; break;
            case 9: r.r9 = v; break;
            case 10: r.r10 = v; break;
            case 11: r.r11 = v; break;
            case 12: r.r12 = v; break;
            case 13: r.r13 = v; break;
            case 14: r.r14 = v; break;
            default: r.r15 = v; break;
        }
    }
}
