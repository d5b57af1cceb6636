using Formation.Kvm.Native.Boot;
using Formation.Kvm.Native.Memory;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Boot;

public sealed class KernelLoaderTests : IDisposable
{
    private readonly GuestMemory _memory = GuestMemory.FromArray(GC.AllocateArray<byte>(32 << 20, pinned: true));

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void Elf_LoadsSegmentAtPhysicalAddressAndZeroesBss()
    {
        _memory.Write(0x1000100, [0xee]);
        var kernel = ElfLoader.Load(KernelImages.Elf(0x1000000, [1, 2, 3], 0x200, 0x1000000), _memory);
        Assert.Equal(0x1000000ul, kernel.Entry);
        Assert.Equal(0x1000200ul, kernel.End);
        _memory.TryRead(0x1000000, out byte first);
        _memory.TryRead(0x1000100, out byte bss);
        Assert.Equal((1, 0), (first, bss));
    }

    [Fact]
    public void Elf_WrongMachine_SaysWhy()
    {
        var e = Assert.Throws<KernelImageException>(() => ElfLoader.Load(KernelImages.Elf(0x1000000, [1], 1, 0x1000000, machine: 183), _memory));
        Assert.Contains("x86-64", e.Message);
    }

    [Fact]
    public void Elf_SegmentBeyondRam_SaysGiveMoreMemory()
    {
        var e = Assert.Throws<KernelImageException>(() => ElfLoader.Load(KernelImages.Elf(0x4000000, [1], 1, 0x4000000), _memory));
        Assert.Contains("more memory", e.Message);
    }

    [Fact]
    public void Elf_VirtualEntryPoint_IsRejected()
    {
        Assert.Throws<KernelImageException>(() => ElfLoader.Load(KernelImages.Elf(0x1000000, [1], 1, 0xffffffff81000000), _memory));
    }

    [Fact]
    public void BzImage_LoadsProtectedModeCodeAt1MiBWith64BitEntry()
    {
        var kernel = BzImageLoader.Load(KernelImages.BzImage([9, 8, 7]), _memory);
        Assert.Equal(0x100200ul, kernel.Entry);
        _memory.TryRead(0x100000, out byte first);
        Assert.Equal(9, first);
        Assert.Equal(0x26c, kernel.SetupHeader.Length);
    }

    [Fact]
    public void BzImage_OldProtocol_IsRejected()
    {
        var e = Assert.Throws<KernelImageException>(() => BzImageLoader.Load(KernelImages.BzImage([1], version: 0x020a), _memory));
        Assert.Contains("2.12", e.Message);
    }

    [Fact]
    public void BzImage_Without64BitEntry_IsRejected()
    {
        Assert.Throws<KernelImageException>(() => BzImageLoader.Load(KernelImages.BzImage([1], xloadflags: 0), _memory));
    }

    [Fact]
    public void Garbage_IsNeitherFormat()
    {
        Assert.Throws<KernelImageException>(() => LinuxBoot.Load(_memory, new BootOptions { Kernel = new byte[4096], MemoryBytes = 32 << 20 }));
    }
}
