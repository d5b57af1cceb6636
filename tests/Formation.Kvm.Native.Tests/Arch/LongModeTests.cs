using Formation.Kvm.Native.Arch;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Tests.Arch;

public sealed class LongModeTests
{
    [Fact]
    public void GdtEntry_CodeSegment_MatchesKnownEncoding()
    {
        Assert.Equal(0x00af9b000000ffffUL, LongMode.GdtEntry(0xa09b, 0, 0xfffff));
        Assert.Equal(0x00cf93000000ffffUL, LongMode.GdtEntry(0xc093, 0, 0xfffff));
    }

    [Fact]
    public void Segment_Code_Is64BitPresentRing0()
    {
        var s = LongMode.Segment(0x10, LongMode.GdtEntry(0xa09b, 0, 0xfffff));
        Assert.Equal((byte)1, s.l);
        Assert.Equal((byte)0, s.db);
        Assert.Equal((byte)1, s.present);
        Assert.Equal((byte)11, s.type);
        Assert.Equal(0xffffffffu, s.limit);
        Assert.Equal((byte)0, s.unusable);
    }

    [Fact]
    public void Configure_EnablesPagingPaeAndLongMode()
    {
        var sregs = LongMode.Configure(default);
        Assert.Equal(Layout.Pml4Address, sregs.cr3);
        Assert.NotEqual(0UL, sregs.cr0 & LongMode.Cr0Pg);
        Assert.NotEqual(0UL, sregs.cr4 & LongMode.Cr4Pae);
        Assert.Equal(LongMode.EferLme | LongMode.EferLma, sregs.efer);
        Assert.Equal(LongMode.CodeSelector, sregs.cs.selector);
    }

    [Fact]
    public void WriteTables_IdentityMapsFirst4GiB()
    {
        using var memory = GuestMemory.FromArray(GC.AllocateArray<byte>(1 << 20, pinned: true));
        LongMode.WriteTables(memory);
        memory.TryRead(Layout.Pml4Address, out ulong pml4);
        Assert.Equal(Layout.PdptAddress | 3, pml4);
        memory.TryRead(Layout.PdptAddress + 3 * 8, out ulong pdpt3);
        Assert.Equal((Layout.PdAddress + 0x3000) | 3, pdpt3);
        memory.TryRead(Layout.PdAddress + 0x3000 + 511 * 8, out ulong last);
        Assert.Equal((3UL << 30) + (511UL << 21) | 0x83, last);
    }
}
