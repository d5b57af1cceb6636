using System.Buffers.Binary;
using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Arch;

/// <summary>
/// Puts a vCPU straight into 64-bit long mode, as the Linux 64-bit boot protocol wants: a flat GDT,
/// identity-mapped page tables for the first 4 GiB (2 MiB pages), paging + PAE + long mode enabled.
/// </summary>
public static class LongMode
{
    public const ushort CodeSelector = 0x10;
    public const ushort DataSelector = 0x18;
    public const ushort TssSelector = 0x20;

    public const ulong Cr0Pe = 1, Cr0Et = 1 << 4, Cr0Ne = 1 << 5, Cr0Pg = 1UL << 31;
    public const ulong Cr4Pae = 1 << 5;
    public const ulong EferLme = 1 << 8, EferLma = 1 << 10;

    /// <summary>GDT entries: null, null, 64-bit code (0x10), data (0x18), 32-bit TSS placeholder (0x20).</summary>
    public static readonly ulong[] Gdt =
    [
        0,
        0,
        GdtEntry(0xa09b, 0, 0xfffff),
        GdtEntry(0xc093, 0, 0xfffff),
        GdtEntry(0x808b, 0, 0xfffff),
    ];

    /// <summary>Writes the GDT and the identity-map page tables into guest memory.</summary>
    public static void WriteTables(GuestMemory memory)
    {
        var gdt = new byte[Gdt.Length * 8];
        for (var i = 0; i < Gdt.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(gdt.AsSpan(i * 8), Gdt[i]);
        }

        memory.Write(Layout.GdtAddress, gdt);
        memory.Write(Layout.IdtAddress, new byte[8]);

        var pml4 = new byte[4096];
        BinaryPrimitives.WriteUInt64LittleEndian(pml4, Layout.PdptAddress | 0x3);
        memory.Write(Layout.Pml4Address, pml4);

        var pdpt = new byte[4096];
        for (var g = 0; g < Layout.IdentityMappedGiB; g++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(pdpt.AsSpan(g * 8), (Layout.PdAddress + (ulong)g * 0x1000) | 0x3);
        }

        memory.Write(Layout.PdptAddress, pdpt);

        var pd = new byte[4096];
        for (var g = 0; g < Layout.IdentityMappedGiB; g++)
        {
            for (var i = 0; i < 512; i++)
            {
                var physical = ((ulong)g << 30) + ((ulong)i << 21);
                BinaryPrimitives.WriteUInt64LittleEndian(pd.AsSpan(i * 8), physical | 0x83); // present, writable, 2 MiB
            }

            memory.Write(Layout.PdAddress + (ulong)g * 0x1000, pd);
        }
    }

    /// <summary>Segment, control and table registers for 64-bit mode on top of <paramref name="sregs"/> (from KVM_GET_SREGS).</summary>
    public static kvm_sregs Configure(kvm_sregs sregs)
    {
        var code = Segment(CodeSelector, Gdt[CodeSelector / 8]);
        var data = Segment(DataSelector, Gdt[DataSelector / 8]);
        var tss = Segment(TssSelector, Gdt[TssSelector / 8]);

        sregs.gdt.@base = Layout.GdtAddress;
        sregs.gdt.limit = (ushort)(Gdt.Length * 8 - 1);
        sregs.idt.@base = Layout.IdtAddress;
        sregs.idt.limit = 7;
        sregs.cs = code;
        sregs.ds = data;
        sregs.es = data;
        sregs.fs = data;
        sregs.gs = data;
        sregs.ss = data;
        sregs.tr = tss;

        sregs.cr3 = Layout.Pml4Address;
        sregs.cr4 |= Cr4Pae;
        sregs.cr0 |= Cr0Pe | Cr0Et | Cr0Ne | Cr0Pg;
        sregs.efer |= EferLme | EferLma;
        return sregs;
    }

    /// <summary>Encodes a GDT descriptor from flags (type/S/DPL/P in bits 0-7, AVL/L/DB/G in bits 12-15), base and limit.</summary>
    public static ulong GdtEntry(ushort flags, uint @base, uint limit) =>
        ((ulong)(@base & 0xff00_0000) << 32) | ((ulong)(flags & 0xf0ff) << 40) | ((ulong)(limit & 0xf_0000) << 32)
        | ((ulong)(@base & 0x00ff_ffff) << 16) | (limit & 0xffff);

    /// <summary>Decodes a GDT descriptor into the kvm_segment KVM wants.</summary>
    public static kvm_segment Segment(ushort selector, ulong entry)
    {
        var limit = (uint)((entry & 0xffff) | ((entry >> 32) & 0xf_0000));
        var g = (byte)((entry >> 55) & 1);
        return new kvm_segment
        {
            @base = ((entry >> 16) & 0xff_ffff) | ((entry >> 32) & 0xff00_0000),
            limit = g == 1 ? (limit << 12) | 0xfff : limit,
            selector = selector,
            type = (byte)((entry >> 40) & 0xf),
            s = (byte)((entry >> 44) & 1),
            dpl = (byte)((entry >> 45) & 3),
            present = (byte)((entry >> 47) & 1),
            avl = (byte)((entry >> 52) & 1),
            l = (byte)((entry >> 53) & 1),
            db = (byte)((entry >> 54) & 1),
            g = g,
            unusable = (byte)(((entry >> 47) & 1) == 0 ? 1 : 0),
        };
    }
}
