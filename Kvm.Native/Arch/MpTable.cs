using System.Buffers.Binary;
using System.Text;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Arch;

/// <summary>
/// Intel MultiProcessor Specification 1.4 tables (floating pointer + configuration table): one entry per
/// vCPU, an ISA bus, the IOAPIC and identity routes ISA IRQ n → IOAPIC pin n (KVM's default GSI routing),
/// LINT0 = ExtINT, LINT1 = NMI. Linux (X86_MPPARSE) finds the floating pointer in the EBDA
/// (<see cref="Layout.MpFloatingPointerAddress"/>), follows it to the configuration table in the BIOS ROM area
/// (<see cref="Layout.MpConfigTableAddress"/>; the spec lets it lie anywhere) and brings up the APs.
/// </summary>
public static class MpTable
{
    public const int FloatingPointerSize = 16;
    public const int HeaderSize = 44;
    public const int ProcessorEntrySize = 20;
    public const int SmallEntrySize = 8;
    public const int IsaIrqCount = 16;
    public const byte ApicVersion = 0x14;
    public const byte IoapicVersion = 0x11;

    /// <summary>
    /// xAPIC IDs are 8 bits and 0xff is the broadcast ID: vCPUs get IDs 0 to 253 and the IOAPIC the next one. This is
    /// formation-vmm's vCPU limit.
    /// </summary>
    public const int MaxVcpus = 254;

    /// <summary>Size of the configuration table (header and entries) for <paramref name="vcpus"/> processors.</summary>
    public static int ConfigTableSize(int vcpus) => HeaderSize + vcpus * ProcessorEntrySize + SmallEntrySize * (1 + 1 + IsaIrqCount + 2);

    /// <summary>Writes the floating pointer and the configuration table at their <see cref="Layout"/> addresses.</summary>
    public static void Write(GuestMemory memory, int vcpus)
    {
        memory.Write(Layout.MpConfigTableAddress, BuildConfigTable(vcpus));
        memory.Write(Layout.MpFloatingPointerAddress, BuildFloatingPointer(Layout.MpConfigTableAddress));
    }

    /// <summary>The 16-byte floating pointer structure pointing at a configuration table at <paramref name="configTableAddress"/>.</summary>
    public static byte[] BuildFloatingPointer(ulong configTableAddress)
    {
        var mpf = new byte[FloatingPointerSize];
        Encoding.ASCII.GetBytes("_MP_").CopyTo(mpf, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(mpf.AsSpan(4), checked((uint)configTableAddress));
        mpf[8] = 1; // length in 16-byte units
        mpf[9] = 4; // spec revision
        mpf[10] = Checksum(mpf);
        return mpf;
    }

    /// <summary>The configuration table (header, then entries) for <paramref name="vcpus"/> processors.</summary>
    public static byte[] BuildConfigTable(int vcpus)
    {
        if (vcpus is < 1 or > MaxVcpus)
        {
            throw new ArgumentOutOfRangeException(nameof(vcpus), $"the MP table supports 1 to {MaxVcpus} vCPUs");
        }

        var table = new byte[ConfigTableSize(vcpus)];
        var ioapicId = (byte)vcpus;
        var config = table.AsSpan();
        Encoding.ASCII.GetBytes("PCMP").CopyTo(config);
        config[6] = 4; // spec revision 1.4
        Encoding.ASCII.GetBytes("FORMATN ").CopyTo(config[8..]);
        Encoding.ASCII.GetBytes("FORMATION   ").CopyTo(config[16..]);
        BinaryPrimitives.WriteUInt32LittleEndian(config[36..], (uint)Layout.LapicAddress);

        var offset = HeaderSize;
        var entries = 0;
        for (var cpu = 0; cpu < vcpus; cpu++)
        {
            var e = config.Slice(offset, ProcessorEntrySize);
            e[0] = 0; // processor
            e[1] = (byte)cpu;
            e[2] = ApicVersion;
            e[3] = (byte)(cpu == 0 ? 0x03 : 0x01); // enabled, BSP
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], 0x600); // family 6
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], 0x201); // FPU, APIC
            offset += ProcessorEntrySize;
            entries++;
        }

        var bus = config.Slice(offset, SmallEntrySize);
        bus[0] = 1; // bus
        bus[1] = 0;
        Encoding.ASCII.GetBytes("ISA   ").CopyTo(bus[2..]);
        offset += SmallEntrySize;
        entries++;

        var ioapic = config.Slice(offset, SmallEntrySize);
        ioapic[0] = 2; // I/O APIC
        ioapic[1] = ioapicId;
        ioapic[2] = IoapicVersion;
        ioapic[3] = 1; // enabled
        BinaryPrimitives.WriteUInt32LittleEndian(ioapic[4..], (uint)Layout.IoapicAddress);
        offset += SmallEntrySize;
        entries++;

        for (var irq = 0; irq < IsaIrqCount; irq++)
        {
            var e = config.Slice(offset, SmallEntrySize);
            e[0] = 3; // I/O interrupt assignment
            e[1] = 0; // INT
            e[4] = 0; // ISA bus
            e[5] = (byte)irq;
            e[6] = ioapicId;
            e[7] = (byte)irq;
            offset += SmallEntrySize;
            entries++;
        }

        var lint0 = config.Slice(offset, SmallEntrySize);
        lint0[0] = 4; // local interrupt assignment
        lint0[1] = 3; // ExtINT
        lint0[6] = 0xff; // all local APICs
        lint0[7] = 0;
        offset += SmallEntrySize;
        entries++;

        var lint1 = config.Slice(offset, SmallEntrySize);
        lint1[0] = 4;
        lint1[1] = 1; // NMI
        lint1[6] = 0xff;
        lint1[7] = 1;
        offset += SmallEntrySize;
        entries++;

        BinaryPrimitives.WriteUInt16LittleEndian(config[4..], (ushort)offset);
        BinaryPrimitives.WriteUInt16LittleEndian(config[34..], (ushort)entries);
        config[7] = Checksum(config[..offset]);
        return table;
    }

    /// <summary>The byte that makes <paramref name="data"/> sum to zero (given its current checksum byte is 0).</summary>
    public static byte Checksum(ReadOnlySpan<byte> data)
    {
        byte sum = 0;
        foreach (var b in data)
        {
            sum += b;
        }

        return (byte)(0 - sum);
    }
}
