using System.Buffers.Binary;
using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Memory;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Devices.Virtio;

public sealed class VirtioBlockTests : IDisposable
{
    private const ulong Header = 0x100000, Data = 0x101000, Status = 0x103000;
    private readonly GuestMemory _memory = GuestMemory.FromArray(GC.AllocateArray<byte>(2 << 20, pinned: true));
    private readonly MemoryBlockBackend _disk;
    private readonly RecordingLine _irq = new();
    private readonly VirtioMmioTransport _transport;
    private readonly VirtioTestDriver _driver;

    public VirtioBlockTests() : this(readOnly: false)
    {
    }

    private VirtioBlockTests(bool readOnly)
    {
        var disk = new byte[64 * 1024];
        for (var i = 0; i < disk.Length; i++)
        {
            disk[i] = (byte)(i / 512);
        }

        _disk = new MemoryBlockBackend(disk, readOnly);
        _transport = new VirtioMmioTransport(new VirtioBlock(_memory, _disk, "disk-serial"), _memory, _irq);
        _driver = new VirtioTestDriver(_memory, _transport, 1);
    }

    public void Dispose() => _memory.Dispose();

    private void WriteHeader(uint type, ulong sector)
    {
        Span<byte> h = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(h, type);
        BinaryPrimitives.WriteUInt64LittleEndian(h[8..], sector);
        _memory.Write(Header, h);
    }

    private byte StatusByte()
    {
        _memory.TryRead(Status, out byte s);
        return s;
    }

    [Fact]
    public void Initialize_OffersVersion1AndActivates()
    {
        Assert.Equal(0x74726976u, _driver.ReadRegister(0));
        Assert.Equal(2u, _driver.ReadRegister(8));
        Assert.Equal(0xfu, _driver.Initialize());
        Span<byte> capacity = stackalloc byte[8];
        _transport.Read(0x100, capacity);
        Assert.Equal(128ul, BinaryPrimitives.ReadUInt64LittleEndian(capacity));
    }

    [Fact]
    public void ReadRequest_CopiesSectorsIntoGuestBuffer()
    {
        _driver.Initialize();
        WriteHeader(VirtioBlock.TypeIn, 3);
        _driver.Submit(0, true, (Header, 16, false), (Data, 1024, true), (Status, 1, true));
        Assert.Equal(1, _driver.UsedIndex(0));
        Assert.Equal(1025u, _driver.UsedElement(0, 0).Length);
        Assert.Equal(VirtioBlock.StatusOk, StatusByte());
        Assert.True(_memory.TryGetSpan(Data, 1024, out var data));
        Assert.Equal(3, data[0]);
        Assert.Equal(4, data[1023]);
        Assert.True(_irq.Level);
        Assert.Equal(1u, _driver.ReadRegister(0x60));
        _driver.WriteRegister(0x64, 1);
        Assert.False(_irq.Level);
    }

    [Fact]
    public void WriteRequest_StoresGuestDataOnDisk()
    {
        _driver.Initialize();
        WriteHeader(VirtioBlock.TypeOut, 10);
        _memory.Write(Data, Enumerable.Repeat((byte)0xab, 512).ToArray());
        _driver.Submit(0, true, (Header, 16, false), (Data, 512, false), (Status, 1, true));
        Assert.Equal(VirtioBlock.StatusOk, StatusByte());
        Assert.All(_disk.Disk.AsSpan(10 * 512, 512).ToArray(), b => Assert.Equal(0xab, b));
        Assert.Equal(9, _disk.Disk[9 * 512]);
    }

    [Fact]
    public void ReadBeyondCapacity_CompletesWithIoError()
    {
        _driver.Initialize();
        WriteHeader(VirtioBlock.TypeIn, 127);
        _driver.Submit(0, true, (Header, 16, false), (Data, 1024, true), (Status, 1, true));
        Assert.Equal(VirtioBlock.StatusIoErr, StatusByte());
    }

    [Fact]
    public void WriteToReadOnlyDisk_CompletesWithIoErrorAndLeavesDisk()
    {
        using var t = new VirtioBlockTests(readOnly: true);
        t._driver.Initialize();
        t.WriteHeader(VirtioBlock.TypeOut, 0);
        t._driver.Submit(0, true, (Header, 16, false), (Data, 512, false), (Status, 1, true));
        Assert.Equal(VirtioBlock.StatusIoErr, t.StatusByte());
        Assert.Equal(0, t._disk.Disk[0]);
        t._driver.WriteRegister(0x14, 0);
        Assert.NotEqual(0u, t._driver.ReadRegister(0x10) & (1u << VirtioBlock.FeatureReadOnly));
    }

    [Fact]
    public void FlushAndGetId_Succeed()
    {
        _driver.Initialize();
        WriteHeader(VirtioBlock.TypeFlush, 0);
        _driver.Submit(0, true, (Header, 16, false), (Status, 1, true));
        Assert.Equal(1, _disk.Flushes);
        WriteHeader(VirtioBlock.TypeGetId, 0);
        _driver.Submit(0, true, (Header, 16, false), (Data, 20, true), (Status, 1, true));
        Assert.True(_memory.TryGetSpan(Data, 11, out var id));
        Assert.Equal("disk-serial"u8.ToArray(), id.ToArray());
    }

    [Fact]
    public void UnknownRequestType_CompletesUnsupported()
    {
        _driver.Initialize();
        WriteHeader(99, 0);
        _driver.Submit(0, true, (Header, 16, false), (Status, 1, true));
        Assert.Equal(VirtioBlock.StatusUnsupported, StatusByte());
    }

    [Fact]
    public void DescriptorOutsideGuestMemory_FailsDeviceNotVmm()
    {
        _driver.Initialize();
        WriteHeader(VirtioBlock.TypeIn, 0);
        _driver.Submit(0, true, (Header, 16, false), (0xffff_ffff_0000, 512, true), (Status, 1, true));
        Assert.NotEqual(0u, _driver.ReadRegister(0x70) & VirtioIds.StatusDeviceNeedsReset);
        Assert.NotNull(_transport.FailureReason);
        Assert.Equal(0, _driver.UsedIndex(0));
    }

    [Fact]
    public void Reset_ClearsStatusAndAllowsReinitialization()
    {
        _driver.Initialize();
        _driver.WriteRegister(0x70, 0);
        Assert.Equal(0u, _driver.ReadRegister(0x70));
        Assert.Equal(0xfu, _driver.Initialize());
    }
}
