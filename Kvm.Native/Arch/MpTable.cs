using System.Buffers.Binary;
using System.Text;

namespace Formation.Kvm.Native.Arch;

/// <summary>
/// Intel MultiProcessor Specification 1.4 tables (floating pointer + configuration table): one entry per
/// vCPU, an ISA bus, the IOAPIC and identity routes ISA IRQ n → IOAPIC pin n (KVM's default GSI routing),
/// LINT0 = ExtINT, LINT1 = NMI. Linux (X86_MPPARSE) finds it in the EBDA and brings up the APs.
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

    /// <summary>Total size for <paramref name="vcpus"/> processors.</summary>
    public static int SizeFor(int vcpus) =>
        FloatingPointerSize + HeaderSize + vcpus * ProcessorEntrySize + SmallEntrySize * (1 + 1 + IsaIrqCount + 2);

    /// <summary>Builds the tables for placement at <paramref name="address"/> (floating pointer first).</summary>
    public static byte[] Build(int vcpus, ulong address)
    {
        if (vcpus is < 1 or > 254)
        {
            throw new ArgumentOutOfRangeException(nameof(vcpus), "the MP table supports 1 to 254 vCPUs");
        }

        var table = new byte[SizeFor(vcpus)];
        var ioapicId = (byte)vcpus;

        // Configuration table header, then entries.
        var config = table.AsSpan(FloatingPointerSize);
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

        var mpf = table.AsSpan(0, FloatingPointerSize);
        Encoding.ASCII.GetBytes("_MP_").CopyTo(mpf);
        BinaryPrimitives.WriteUInt32LittleEndian(mpf[4..], (uint)(address + FloatingPointerSize));
        mpf[8] = 1; // length in 16-byte units
        mpf[9] = 4; // spec revision
        mpf[10] = Checksum(mpf);
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
