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

    [Fact]
    public void Load_WritesMpTableInEbda()
    {
        Load(vcpus: 2);
        var signature = new byte[4];
        _memory.TryRead(Layout.MpTableAddress, signature);
        Assert.Equal("_MP_", Encoding.ASCII.GetString(signature));
    }
}
