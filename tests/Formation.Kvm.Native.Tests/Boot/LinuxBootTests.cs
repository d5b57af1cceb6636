using System.Buffers.Binary;
using System.Text;
using Formation.Kvm.Native.Arch;
using Formation.Kvm.Native.Boot;
using Formation.Kvm.Native.Memory;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Boot;

public sealed class LinuxBootTests : IDisposable
{
    private const ulong Ram = 64 << 20;
    private readonly GuestMemory _memory = GuestMemory.FromArray(GC.AllocateArray<byte>((int)Ram, pinned: true));

    public void Dispose() => _memory.Dispose();

    private BootSetup Load(byte[]? initrd = null, string cmdline = "console=ttyS0", int vcpus = 1) =>
        LinuxBoot.Load(_memory, new BootOptions
        {
            Kernel = KernelImages.Elf(0x1000000, [0x90], 0x100000, 0x1000000),
            Initrd = initrd,
            CommandLine = cmdline,
            Vcpus = vcpus,
            MemoryBytes = Ram,
        });

    private byte[] ZeroPage()
    {
        var page = new byte[4096];
        _memory.TryRead(Layout.ZeroPageAddress, page);
        return page;
    }

    [Fact]
    public void Load_WritesCommandLineAndPointer()
    {
        Load(cmdline: "console=ttyS0 quiet");
        var page = ZeroPage();
        Assert.Equal((uint)Layout.CmdlineAddress, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(BootParams.CmdLinePtrOffset)));
        var bytes = new byte[20];
        _memory.TryRead(Layout.CmdlineAddress, bytes);
        Assert.Equal("console=ttyS0 quiet\0", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void Load_SynthesizesHeaderForElf()
    {
        Load();
        var page = ZeroPage();
        Assert.Equal(0x53726448u, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(BootParams.HeaderMagicOffset)));
        Assert.Equal(0xff, page[BootParams.TypeOfLoaderOffset]);
        Assert.Equal(4, page[BootParams.E820EntriesOffset]);
    }

    [Fact]
    public void Load_PlacesInitrdPageAlignedAtTopOfRam()
    {
        var initrd = Enumerable.Repeat((byte)7, 10000).ToArray();
        var setup = Load(initrd);
        Assert.Equal(0ul, setup.InitrdAddress % 4096);
        Assert.True(setup.InitrdAddress + 10000 <= Ram);
        Assert.True(Ram - setup.InitrdAddress < 10000 + 4096);
        var page = ZeroPage();
        Assert.Equal((uint)setup.InitrdAddress, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(BootParams.RamdiskImageOffset)));
        Assert.Equal(10000u, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(BootParams.RamdiskSizeOffset)));
        _memory.TryRead(setup.InitrdAddress + 9999, out byte last);
        Assert.Equal(7, last);
    }

    [Fact]
    public void Load_InitrdTooLarge_SaysGiveMoreMemory()
    {
        var e = Assert.Throws<KernelImageException>(() => Load(new byte[48 << 20]));
        Assert.Contains("more memory", e.Message);
    }

    [Fact]
    public void Load_CommandLineTooLong_IsRejected()
    {
        Assert.Throws<KernelImageException>(() => Load(cmdline: new string('x', 5000)));
    }

    [Fact]
    public void Load_WritesRngSeedSetupData()
    {
        Load();
        var page = ZeroPage();
        Assert.Equal(Layout.SetupDataAddress, BinaryPrimitives.ReadUInt64LittleEndian(page.AsSpan(BootParams.SetupDataOffset)));
        _memory.TryRead(Layout.SetupDataAddress + 8, out uint type);
        _memory.TryRead(Layout.SetupDataAddress + 12, out uint length);
        Assert.Equal((LinuxBoot.SetupRngSeed, 32u), (type, length));
    }

    /// <summary>
    /// Up to the largest vCPU count formation-vmm accepts (254; the silo allows 128): Linux finds the MP table where it
    /// looks (mpparse.c scans 0-1 KiB, 639-640 KiB and 0xf0000-0xfffff in 16-byte steps), every processor is in it, both
    /// checksums hold, and the floating pointer and the configuration table lie in memory the e820 map reserves and
    /// overlap nothing else the boot writes.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(41)]
    [InlineData(128)]
    [InlineData(254)]
    public void Load_MpTable_LinuxFindsEveryProcessorInReservedMemory(int vcpus)
    {
        Load(vcpus: vcpus);
        (ulong Start, ulong Length)[] searched = [(0, 0x400), (639 * 1024, 0x400), (0xf0000, 0x10000)];
        var pointer = searched
            .SelectMany(area => Enumerable.Range(0, (int)(area.Length / 16)).Select(i => area.Start + (ulong)i * 16))
            .First(a => Read(a, 4) is var s && Encoding.ASCII.GetString(s) == "_MP_" && Sum(Read(a, 16)) == 0);
        var mpf = Read(pointer, 16);
        Assert.Equal(1, mpf[8]);
        Assert.Equal(4, mpf[9]);
        ulong table = BinaryPrimitives.ReadUInt32LittleEndian(mpf.AsSpan(4));

        var header = Read(table, 44);
        Assert.Equal("PCMP", Encoding.ASCII.GetString(header, 0, 4));
        var length = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(4));
        var config = Read(table, length);
        Assert.Equal(0, Sum(config));
        var entries = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(34));
        var (offset, seen, processors) = (44, 0, new List<(byte ApicId, byte Flags)>());
        while (offset < length)
        {
            if (config[offset] == 0)
            {
                processors.Add((config[offset + 1], config[offset + 3]));
            }

            offset += config[offset] == 0 ? 20 : 8;
            seen++;
        }

        Assert.Equal(length, offset);
        Assert.Equal(entries, seen);
        Assert.Equal(Enumerable.Range(0, vcpus).Select(i => ((byte)i, (byte)(i == 0 ? 3 : 1))), processors);

        var reserved = E820Entry.ForMemory(Ram).Where(e => e.Type == E820Entry.Reserved).ToList();
        foreach (var (name, start, size) in new[] { ("MP floating pointer", pointer, 16UL), ("MP configuration table", table, (ulong)length) })
        {
            Assert.True(reserved.Any(e => start >= e.Address && start + size <= e.Address + e.Size),
                $"the {name} at 0x{start:x}+0x{size:x} is not inside a reserved e820 range");
            foreach (var (other, otherStart, otherSize) in BootStructures)
            {
                Assert.False(start < otherStart + otherSize && otherStart < start + size, $"the {name} at 0x{start:x}+0x{size:x} overlaps the {other}");
            }
        }
    }

    /// <summary>What else the boot writes at fixed addresses (Layout), with the most room each may take.</summary>
    private static readonly (string Name, ulong Start, ulong Size)[] BootStructures =
    [
        ("GDT and IDT", Layout.GdtAddress, Layout.IdtAddress + 8 - Layout.GdtAddress),
        ("setup_data", Layout.SetupDataAddress, 0x1000),
        ("zero page", Layout.ZeroPageAddress, BootParams.Size),
        ("boot stack", Layout.BootStackPointer & ~0xfffUL, 0x1000),
        ("page tables", Layout.Pml4Address, Layout.PdAddress + Layout.IdentityMappedGiB * 0x1000UL - Layout.Pml4Address),
        ("command line", Layout.CmdlineAddress, Layout.CmdlineMaxSize),
        ("kernel", Layout.HighMemoryStart, Ram - Layout.HighMemoryStart),
    ];

    private byte[] Read(ulong address, int length)
    {
        var bytes = new byte[length];
        Assert.True(_memory.TryRead(address, bytes), $"0x{address:x}+0x{length:x} is outside guest memory");
        return bytes;
    }

    private static byte Sum(byte[] data)
    {
        byte sum = 0;
        foreach (var b in data)
        {
            sum += b;
        }

        return sum;
    }
}
