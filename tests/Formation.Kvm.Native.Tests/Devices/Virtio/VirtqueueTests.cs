using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Memory;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Devices.Virtio;

public sealed class VirtqueueTests : IDisposable
{
    private readonly GuestMemory _memory = GuestMemory.FromArray(GC.AllocateArray<byte>(1 << 20, pinned: true));
    private readonly Virtqueue _queue;

    public VirtqueueTests()
    {
        _queue = new Virtqueue(_memory, 16)
        {
            DescTable = VirtioTestDriver.DescTable(0),
            AvailRing = VirtioTestDriver.AvailRing(0),
            UsedRing = VirtioTestDriver.UsedRing(0),
            Ready = true,
        };
    }

    public void Dispose() => _memory.Dispose();

    private void Descriptor(ushort index, ulong address, uint length, ushort flags, ushort next)
    {
        var d = new byte[16];
        BitConverter.TryWriteBytes(d.AsSpan(0), address);
        BitConverter.TryWriteBytes(d.AsSpan(8), length);
        BitConverter.TryWriteBytes(d.AsSpan(12), flags);
        BitConverter.TryWriteBytes(d.AsSpan(14), next);
        _memory.Write(VirtioTestDriver.DescTable(0) + 16UL * index, d);
    }

    private void Avail(ushort idx, params ushort[] heads)
    {
        for (var i = 0; i < heads.Length; i++)
        {
            _memory.TryWrite(VirtioTestDriver.AvailRing(0) + 4 + 2UL * (ulong)i, heads[i]);
        }

        _memory.TryWrite(VirtioTestDriver.AvailRing(0) + 2, idx);
    }

    [Fact]
    public void TryPop_Empty_ReturnsFalse() => Assert.False(_queue.TryPop(out _));

    [Fact]
    public void TryPop_Chain_ReturnsBuffersInOrder()
    {
        Descriptor(0, 0x80000, 16, VirtioIds.DescFlagNext, 5);
        Descriptor(5, 0x81000, 100, VirtioIds.DescFlagWrite, 0);
        Avail(1, 0);
        Assert.True(_queue.TryPop(out var chain));
        Assert.Equal(0, chain.Head);
        Assert.Equal(2, chain.Count);
        Assert.Equal(new Descriptor(0x81000, 100, true), chain.Buffers[1]);
        Assert.Equal(16, chain.ReadableLength);
        Assert.Equal(100, chain.WritableLength);
        Assert.False(_queue.TryPop(out _));
    }

    [Fact]
    public void PushUsed_WritesElementAndIndex()
    {
        _queue.PushUsed(7, 42);
        _memory.TryRead(VirtioTestDriver.UsedRing(0) + 2, out ushort idx);
        _memory.TryRead(VirtioTestDriver.UsedRing(0) + 4, out uint id);
        _memory.TryRead(VirtioTestDriver.UsedRing(0) + 8, out uint len);
        Assert.Equal((1, 7u, 42u), (idx, id, len));
    }

    [Fact]
    public void LoopingChain_IsRejected()
    {
        Descriptor(0, 0x80000, 16, VirtioIds.DescFlagNext, 1);
        Descriptor(1, 0x80000, 16, VirtioIds.DescFlagNext, 0);
        Avail(1, 0);
        Assert.Throws<VirtqueueException>(() => _queue.TryPop(out _));
    }

    [Theory]
    [InlineData(16, 0, 0)]
    [InlineData(0, 20, 0)]
    [InlineData(0, 0, 1)]
    public void BadIndexOrAddress_IsRejected(ushort head, ushort next, int outside)
    {
        Descriptor(0, outside == 1 ? (1UL << 40) : 0x80000, 16, (ushort)(next != 0 ? VirtioIds.DescFlagNext : 0), next);
        Avail(1, head);
        Assert.Throws<VirtqueueException>(() => _queue.TryPop(out _));
    }

    [Fact]
    public void IndirectDescriptor_IsRejected()
    {
        Descriptor(0, 0x80000, 16, VirtioIds.DescFlagIndirect, 0);
        Avail(1, 0);
        Assert.Throws<VirtqueueException>(() => _queue.TryPop(out _));
    }

    [Fact]
    public void AvailIndexJumpingPastQueueSize_IsRejected()
    {
        Avail(100);
        Assert.Throws<VirtqueueException>(() => _queue.TryPop(out _));
    }

    [Fact]
    public void Validate_RingsOutsideMemoryOrBadSize_Fails()
    {
        _queue.UsedRing = 1UL << 40;
        Assert.False(_queue.Validate(out _));
        _queue.UsedRing = VirtioTestDriver.UsedRing(0);
        _queue.Size = 12;
        Assert.False(_queue.Validate(out var error));
        Assert.Contains("power of two", error);
    }

    [Fact]
    public void RestoreState_SavedPositions_TheNextPopContinuesFromThem()
    {
        Descriptor(0, 0x1000, 64, 0, 0);
        Descriptor(1, 0x2000, 64, 0, 0);
        Avail(2, 0, 1);
        Assert.True(_queue.TryPop(out var first));
        _queue.PushUsed(first.Head, 0);
        var saved = _queue.SaveState();
        Assert.Equal((ushort)1, saved.NextAvail);
        Assert.Equal((ushort)1, saved.NextUsed);

        var restored = new Virtqueue(_memory, 16);
        restored.RestoreState(saved);
        Assert.True(restored.TryPop(out var second));
        Assert.Equal((ushort)1, second.Head);
        Assert.False(restored.TryPop(out _));
    }

    [Fact]
    public void RestoreState_UsedIndexNotTheRings_IsRefused()
    {
        var saved = _queue.SaveState() with { NextUsed = 5 };
        var e = Assert.Throws<InvalidDataException>(() => new Virtqueue(_memory, 16).RestoreState(saved));
        Assert.Contains("next used index 5 is not the used ring's 0", e.Message);
    }

    [Theory]
    [InlineData(32, 0x10000UL, "larger than the device's 16")]
    [InlineData(12, 0x10000UL, "not a power of two")]
    [InlineData(16, 0x10008UL, "misaligned")]
    [InlineData(16, 0x7fff_fff0UL, "outside guest RAM")]
    public void RestoreState_UnusableReadyQueue_IsRefused(int size, ulong descTable, string expected)
    {
        var saved = _queue.SaveState() with { Size = (ushort)size, DescTable = descTable };
        var e = Assert.Throws<InvalidDataException>(() => new Virtqueue(_memory, 16).RestoreState(saved));
        Assert.Contains(expected, e.Message);
    }
}
