namespace Formation.Kvm.Native.Bindings;

/// <summary>
/// x86 register bits, MSRs and local-APIC registers the VMM sets or reads (Intel SDM), named as in the Linux kernel's
/// headers. The ones user-space headers carry (&lt;asm/processor-flags.h&gt;, &lt;asm/mtrr.h&gt;) are compared with them
/// by KernelAbiTests; the MSR and APIC numbers come from the kernel's msr-index.h and apicdef.h.
/// </summary>
public static class X86Constants
{
    /// <summary>RFLAGS bit 1, always set.</summary>
    public const ulong X86_EFLAGS_FIXED = 0x2;

    public const ulong X86_EFLAGS_CF = 0x1;
    public const ulong X86_EFLAGS_PF = 0x4;
    public const ulong X86_EFLAGS_AF = 0x10;
    public const ulong X86_EFLAGS_ZF = 0x40;
    public const ulong X86_EFLAGS_SF = 0x80;

    /// <summary>RFLAGS.IF: maskable interrupts enabled.</summary>
    public const ulong X86_EFLAGS_IF = 0x200;

    public const ulong X86_EFLAGS_OF = 0x800;

    /// <summary>IA32_MISC_ENABLE (SDM Vol. 4 table 2-2).</summary>
    public const uint MSR_IA32_MISC_ENABLE = 0x1a0;

    /// <summary>IA32_MISC_ENABLE bit 0: fast-string operations (REP MOVS/STOS) enabled.</summary>
    public const ulong MSR_IA32_MISC_ENABLE_FAST_STRING = 0x1;

    /// <summary>IA32_MTRR_DEF_TYPE: default memory type and MTRR enable bits.</summary>
    public const uint MSR_MTRRdefType = 0x2ff;

    /// <summary>IA32_MTRR_DEF_TYPE bit 11: MTRRs enabled.</summary>
    public const ulong MTRR_DEF_TYPE_E = 0x800;

    /// <summary>Memory type write-back (the default type in IA32_MTRR_DEF_TYPE bits 0-7).</summary>
    public const ulong MTRR_TYPE_WRBACK = 6;

    /// <summary>Local APIC LVT LINT0 register offset.</summary>
    public const int APIC_LVT0 = 0x350;

    /// <summary>Local APIC LVT LINT1 register offset.</summary>
    public const int APIC_LVT1 = 0x360;

    /// <summary>LVT delivery-mode field (bits 8-10).</summary>
    public const uint APIC_MODE_MASK = 0x700;

    /// <summary>LVT delivery mode NMI.</summary>
    public const uint APIC_DM_NMI = 0x400;

    /// <summary>LVT delivery mode ExtINT: the 8259 PIC's interrupts come in through this pin.</summary>
    public const uint APIC_DM_EXTINT = 0x700;

    /// <summary>x87 control word after FNINIT: all exceptions masked, 64-bit precision, round to nearest (SDM Vol. 1 §8.1.5).</summary>
    public const ushort X87_FCW_FNINIT = 0x37f;

    /// <summary>MXCSR after reset: all SIMD exceptions masked, round to nearest.</summary>
    public const uint MXCSR_DEFAULT = 0x1f80;
}
