using Formation.Kvm.Native.Arch;

namespace Formation.Kvm.Native.Tests.Arch;

public sealed class E820EntryTests
{
    [Fact]
    public void ForMemory_Small_ReservesEbdaAndBiosAreaAndMapsRamFrom1MiB()
    {
        var map = E820Entry.ForMemory(256UL << 20);
        Assert.Equal(new E820Entry(0, 0x9fc00, E820Entry.Ram), map[0]);
        Assert.Contains(new E820Entry(0x9fc00, 0x400, E820Entry.Reserved), map);
        Assert.Contains(new E820Entry(0xe0000, 0x20000, E820Entry.Reserved), map);
        Assert.Equal(new E820Entry(0x100000, (256UL << 20) - 0x100000, E820Entry.Ram), map[^1]);
    }

    [Fact]
    public void ForMemory_AboveGap_SplitsAroundMmioHole()
    {
        var map = E820Entry.ForMemory(4UL << 30);
        Assert.Contains(new E820Entry(0x100000, Layout.MmioGapStart - 0x100000, E820Entry.Ram), map);
        Assert.Contains(new E820Entry(Layout.MmioGapEnd, (4UL << 30) - Layout.MmioGapStart, E820Entry.Ram), map);
        Assert.DoesNotContain(map, e => e.Address < Layout.MmioGapEnd && e.Address + e.Size > Layout.MmioGapStart);
    }
}
