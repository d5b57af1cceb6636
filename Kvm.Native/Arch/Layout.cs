namespace Formation.Kvm.Native.Arch;

/// <summary>
/// The guest-physical memory map of a Formation VM (x86-64), in one place.
/// <code>
/// 0x0000_0500  GDT (4 entries)               0x0000_7000  boot_params (zero page)
/// 0x0000_6000  setup_data (RNG seed)         0x0000_8ff0  initial stack (BSP)
/// 0x0000_9000  PML4, 0xa000 PDPT, 0xb000-0xe000 PDs (identity map of the first 4 GiB, 2 MiB pages)
/// 0x0002_0000  kernel command line           0x0009_fc00  MP floating pointer (EBDA, reserved)
/// 0x000e_0000  reserved up to 1 MiB          0x000f_0000  MP configuration table (BIOS ROM area, up to 64 KiB)
/// 0x0010_0000  bzImage protected-mode code / ELF p_paddr
/// top of low RAM: initrd (page aligned)
/// 0xd000_0000  virtio-mmio devices, 4 KiB each (MMIO gap 0xc000_0000-0x1_0000_0000)
/// 0xfec0_0000  IOAPIC, 0xfee0_0000 local APICs (in-kernel)
/// 0x1_0000_0000 RAM above 4 GiB when the VM has more than 3 GiB
/// </code>
/// </summary>
public static class Layout
{
    public const ulong GdtAddress = 0x500;
    public const ulong IdtAddress = 0x520;
    public const ulong SetupDataAddress = 0x6000;
    public const ulong ZeroPageAddress = 0x7000;
    public const ulong BootStackPointer = 0x8ff0;
    public const ulong Pml4Address = 0x9000;
    public const ulong PdptAddress = 0xa000;
    public const ulong PdAddress = 0xb000;
    public const int IdentityMappedGiB = 4;
    public const ulong CmdlineAddress = 0x20000;
    public const int CmdlineMaxSize = 0x10000;

    public const ulong EbdaStart = 0x9fc00;
    public const ulong LowRamEnd = 0xa0000;
    public const ulong AcpiTablesAddress = 0xe0000;
    public const ulong BiosAreaEnd = 0x100000;

    /// <summary>
    /// The MP floating pointer (16 bytes) sits at the start of the EBDA, the last KiB of base memory, which Linux
    /// searches second (after 0-1 KiB), so it is found at once.
    /// </summary>
    public const ulong MpFloatingPointerAddress = EbdaStart;

    /// <summary>
    /// The MP configuration table (220 + 20 bytes per vCPU: 5.3 KiB for 254 vCPUs) goes to the BIOS ROM area
    /// 0xf0000-0xfffff, which the e820 map reserves; the 1 KiB EBDA holds it only up to 40 vCPUs.
    /// </summary>
    public const ulong MpConfigTableAddress = 0xf0000;

    public const ulong MpConfigTableEnd = BiosAreaEnd;

    /// <summary>bzImage protected-mode code is loaded here (the boot protocol's traditional "high" address).</summary>
    public const ulong HighMemoryStart = 0x100000;

    public const ulong MmioGapStart = 0xc000_0000;
    public const ulong MmioGapEnd = 0x1_0000_0000;
    public const ulong VirtioMmioBase = 0xd000_0000;
    public const ulong VirtioMmioSize = 0x1000;
    public const ulong IoapicAddress = 0xfec0_0000;
    public const ulong LapicAddress = 0xfee0_0000;

    public const uint TssAddress = 0xfffb_d000;
    public const ulong IdentityMapAddress = 0xfffb_c000;

    /// <summary>COM1: the 16550A UART's eight registers start here.</summary>
    public const ulong SerialPort = 0x3f8;

    /// <summary>i8042 data port; the controller's status/command port is <see cref="I8042CommandPort"/>.</summary>
    public const ulong I8042DataPort = 0x60;

    public const ulong I8042CommandPort = 0x64;

    /// <summary>Input pins of the (in-kernel) IOAPIC: GSIs 0-23.</summary>
    public const uint IoapicPins = 24;

    /// <summary>First GSI handed to virtio devices (ISA IRQs 0-4 are PIT, keyboard, cascade, COM2, COM1).</summary>
    public const uint FirstVirtioIrq = 5;
    public const uint SerialIrq = 4;
    public const uint KeyboardIrq = 1;

    /// <summary>Guest RAM ranges for <paramref name="memoryBytes"/> of RAM, skipping the MMIO gap.</summary>
    public static IReadOnlyList<(ulong Start, ulong Size)> RamRanges(ulong memoryBytes)
    {
        if (memoryBytes <= MmioGapStart)
        {
            return [(0, memoryBytes)];
        }

        return [(0, MmioGapStart), (MmioGapEnd, memoryBytes - MmioGapStart)];
    }
}
