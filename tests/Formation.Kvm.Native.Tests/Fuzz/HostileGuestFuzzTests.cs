using System.Buffers.Binary;
using Formation.Kvm.Native.Devices;
using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Memory;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Fuzz;

/// <summary>
/// A hostile guest, simulated: random port I/O, MMIO register traffic and virtqueue descriptors at every
/// device, for a fixed budget with fixed seeds. No exception may escape a device, and no byte outside
/// guest RAM (guard zones around it) may change.
/// </summary>
public sealed class HostileDeviceFuzzTests
{
    private const int GuestSize = 4 << 20, Guard = 64 * 1024, Budget = 20_000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomTraffic_NeverEscapesDevicesOrGuestMemory(int seed)
    {
        var random = new Random(seed);
        var backing = GC.AllocateArray<byte>(GuestSize + 2 * Guard, pinned: true);
        backing.AsSpan(0, Guard).Fill(0xcc);
        backing.AsSpan(Guard + GuestSize).Fill(0xcc);
        using var memory = GuestMemory.FromArray(backing, 0, Guard, GuestSize);
        var net = new QueueNetBackend();
        var pio = new DeviceBus("pio");
        var mmio = new DeviceBus("mmio");
        pio.Insert(0x3f8, 8, new Serial8250(Stream.Null, new RecordingLine()));
        pio.Insert(0x60, 5, new I8042Controller(new RecordingLine(), () => { }));
        var transports = new[]
        {
            new VirtioMmioTransport(new VirtioBlock(memory, new MemoryBlockBackend(new byte[256 * 1024]), "fuzz"), memory, new RecordingLine()),
            new VirtioMmioTransport(new VirtioRng(memory), memory, new RecordingLine()),
            new VirtioMmioTransport(new VirtioNet(memory, net, [2, 0, 0, 0, 0, 1]), memory, new RecordingLine()),
        };
        for (var i = 0; i < transports.Length; i++)
        {
            mmio.Insert(0xd000_0000UL + (ulong)i * 0x1000, 0x1000, transports[i]);
        }

        var drivers = transports.Select((t, i) => new VirtioTestDriver(memory, t, t.Device.QueueCount)).ToArray();
        Span<byte> data = stackalloc byte[8];
        for (var op = 0; op < Budget; op++)
        {
            var size = 1 << random.Next(4);
            random.NextBytes(data);
            switch (random.Next(6))
            {
                case 0: // port I/O anywhere near our devices
                    var port = (ulong)(random.Next(2) == 0 ? 0x3f8 + random.Next(16) : 0x5c + random.Next(16));
                    if (random.Next(2) == 0)
                    {
                        pio.Write(port, data[..size]);
                    }
                    else
                    {
                        pio.Read(port, data[..size]);
                    }

                    break;
                case 1: // MMIO registers and config space with random values
                    var address = 0xd000_0000UL + (ulong)random.Next(0x3000);
                    if (random.Next(2) == 0)
                    {
                        mmio.Write(address, data[..size]);
                    }
                    else
                    {
                        mmio.Read(address, data[..size]);
                    }

                    break;
                case 2: // a well-behaved setup now and then, so queues get exercised
                    drivers[random.Next(drivers.Length)].Initialize();
                    break;
                case 3: // random descriptors, including out-of-range addresses, loops and bad indices
                    var d = random.Next(drivers.Length);
                    var q = random.Next(transports[d].Device.QueueCount);
                    drivers[d].WriteDescriptor(q, (ushort)random.Next(20), RandomAddress(random), (uint)random.Next(-1, 70000),
                        (ushort)random.Next(8), (ushort)random.Next(20));
                    break;
                case 4: // publish a random head, sometimes with a wild avail index
                    var di = random.Next(drivers.Length);
                    var qi = random.Next(transports[di].Device.QueueCount);
                    if (random.Next(4) == 0)
                    {
                        memory.TryWrite(VirtioTestDriver.AvailRing(qi) + 2, (ushort)random.Next(65536));
                    }

                    drivers[di].Publish(qi, (ushort)random.Next(20));
                    break;
                default: // random bytes over the rings themselves
                    var ring = VirtioTestDriver.DescTable(random.Next(3)) + (ulong)random.Next(0x3000);
                    memory.TryWrite(ring, (uint)random.Next());
                    break;
            }
        }

        Assert.All(backing.AsSpan(0, Guard).ToArray(), b => Assert.Equal(0xcc, b));
        Assert.All(backing.AsSpan(Guard + GuestSize).ToArray(), b => Assert.Equal(0xcc, b));
        ((IDisposable)transports[2].Device).Dispose();
    }

    private static ulong RandomAddress(Random random) => random.Next(4) switch
    {
        0 => (ulong)random.NextInt64(),
        1 => GuestSize - (ulong)random.Next(1, 4096),
        2 => ulong.MaxValue - (ulong)random.Next(4096),
        _ => 0x100000 + (ulong)random.Next(0x100000),
    };

    [Fact]
    public void TryGetSpan_OverflowingRanges_AreRejected()
    {
        using var memory = GuestMemory.FromArray(GC.AllocateArray<byte>(4096, pinned: true));
        Assert.False(memory.TryGetSpan(ulong.MaxValue - 1, 4, out _));
        Assert.False(memory.TryGetSpan(4090, 7, out _));
        Assert.False(memory.TryGetSpan(0, -1, out _));
        Assert.True(memory.TryGetSpan(4092, 4, out _));
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, 1);
        Assert.False(memory.TryWriteVolatile(4095, 1));
    }
}
