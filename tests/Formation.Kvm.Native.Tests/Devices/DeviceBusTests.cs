using Formation.Kvm.Native.Devices;

namespace Formation.Kvm.Native.Tests.Devices;

public sealed class DeviceBusTests
{
    private sealed class Probe : IBusDevice
    {
        public ulong LastOffset { get; private set; }

        public void Read(ulong offset, Span<byte> data)
        {
            LastOffset = offset;
            data.Fill(0x42);
        }

        public void Write(ulong offset, ReadOnlySpan<byte> data) => LastOffset = offset;
    }

    [Fact]
    public void Read_InsideRange_DispatchesWithRelativeOffset()
    {
        var bus = new DeviceBus("test");
        var probe = new Probe();
        bus.Insert(0x3f8, 8, probe);
        Span<byte> data = stackalloc byte[1];
        Assert.True(bus.Read(0x3fd, data));
        Assert.Equal(5ul, probe.LastOffset);
        Assert.Equal(0x42, data[0]);
    }

    [Fact]
    public void Read_OutsideEveryRange_ReturnsAllOnesAndCounts()
    {
        var bus = new DeviceBus("test");
        bus.Insert(0x60, 5, new Probe());
        Span<byte> data = stackalloc byte[4];
        Assert.False(bus.Read(0x65, data));
        Assert.Equal(0xffffffffu, BitConverter.ToUInt32(data));
        Assert.Equal(1, bus.Unhandled);
    }

    [Fact]
    public void Insert_Overlapping_Throws()
    {
        var bus = new DeviceBus("test");
        bus.Insert(0x1000, 0x1000, new Probe());
        Assert.Throws<InvalidOperationException>(() => bus.Insert(0x1fff, 2, new Probe()));
    }

    [Fact]
    public void TryFind_ManyRanges_FindsEach()
    {
        var bus = new DeviceBus("test");
        var probes = Enumerable.Range(0, 20).Select(_ => new Probe()).ToArray();
        for (var i = 0; i < probes.Length; i++)
        {
            bus.Insert(0xd000_0000UL + (ulong)i * 0x1000, 0x1000, probes[i]);
        }

        for (var i = 0; i < probes.Length; i++)
        {
            Assert.True(bus.TryFind(0xd000_0000UL + (ulong)i * 0x1000 + 0x70, out var d, out var offset));
            Assert.Same(probes[i], d);
            Assert.Equal(0x70ul, offset);
        }

        Assert.False(bus.TryFind(0xd000_0000UL + 20 * 0x1000, out _, out _));
    }
}
