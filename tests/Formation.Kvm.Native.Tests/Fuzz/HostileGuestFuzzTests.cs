using System.Buffers.Binary;
using Formation.Kvm.Native.Arch;
using Formation.Kvm.Native.Devices;
using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Memory;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Fuzz;

/// <summary>
/// A hostile guest, simulated without /dev/kvm (<see cref="SimulatedGuest"/>): random port I/O and MMIO exits at every
/// window the VMM wires (UART, i8042 data and command ports, each virtio-mmio window and the bytes around them), exits
/// with impossible geometry, virtqueues set up at hostile addresses, random descriptors, avail indices and ring bytes,
/// for a fixed budget with fixed seeds. After every exit: no exception left a device, each interrupt line agrees with
/// the register that explains it, an access hit no device exactly when it lay outside every window, and the guard
/// zones around guest RAM and kvm_run are intact. At the end a well-behaved driver resets every device and uses it.
/// </summary>
public sealed class HostileGuestFuzzTests
{
    private const int Budget = 30_000;
    private const int RegInterruptStatus = 0x60, RegInterruptAck = 0x64, RegStatus = 0x70, RegQueueSel = 0x30, RegQueueNum = 0x38, RegQueueReady = 0x44,
        RegQueueNotify = 0x50, RegQueueDescLow = 0x80;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task RandomExits_AtEveryDevice_NeverEscapeGuestMemoryOrBreakTheDevices(int seed)
    {
        var random = new Random(seed);
        using var guest = new SimulatedGuest();
        var ports = guest.Devices.PortBus.Ranges;
        var windows = guest.Devices.MmioBus.Ranges;
        Assert.Equal([Layout.I8042DataPort, Layout.SerialPort], ports.Select(r => r.Start));
        Assert.Equal(4, windows.Count);
        var clients = new List<Task<Stream>>();
        Span<byte> data = stackalloc byte[64];
        var failures = 0;
        var drivers = guest.Devices.Virtio.Select(t => new VirtioTestDriver(guest.Memory, t, t.Device.QueueCount)).ToArray();
        for (var op = 0; op < Budget; op++)
        {
            random.NextBytes(data);
            if (op % 2000 == 0)
            {
                // Host clients of the vsock device knock now and then; the storm may accept, feed or reset them.
                clients.Add(HybridVsock.ConnectAsync(guest.VsockSocket, VsockPort, CancellationToken.None));
            }

            var kind = random.Next(15);
            var what = "";
            try
            {
                var unhandledBefore = (guest.Devices.PortBus.Unhandled, guest.Devices.MmioBus.Unhandled);
                ulong? single = null; // address of a one-item, well-formed access, for the unhandled-access check
                var bus = guest.Devices.PortBus;
                switch (kind)
                {
                    case 0 or 1 or 2: // one port access in or next to a device's ports (0x60-0x64, 0x3f8-0x3ff)
                        var range = ports[random.Next(ports.Count)];
                        var port = (ushort)((long)range.Start + random.Next(-3, (int)range.Length + 3));
                        var size = (byte)(1 << random.Next(3));
                        var write = random.Next(2) == 0;
                        what = $"{(write ? "out" : "in")} {size} at port 0x{port:x}";
                        guest.Io(write, size, port, 1, (ulong)random.Next(1024, SimulatedGuest.RunPage - 4), data); // past the exit fields, as KVM places it
                        single = port;
                        break;
                    case 3: // string I/O and impossible exit geometry anywhere in port space
                        var hostileSize = (byte)(random.Next(4) == 0 ? random.Next(256) : 1 << random.Next(3));
                        var count = random.Next(3) switch { 0 => (uint)random.Next(1, 600), 1 => uint.MaxValue - (uint)random.Next(8), _ => 1u };
                        var offset = random.Next(3) switch { 0 => (ulong)random.NextInt64(), 1 => (ulong)(SimulatedGuest.RunPage - random.Next(8)), _ => 1024UL };
                        var anyPort = (ushort)random.Next(65536);
                        what = $"io size {hostileSize} count {count} data offset 0x{offset:x} port 0x{anyPort:x}";
                        guest.Io(random.Next(2) == 0, hostileSize, anyPort, count, offset, data);
                        break;
                    case 4 or 5: // one MMIO access in or around a virtio window: half of them 32-bit register accesses
                        var window = windows[random.Next(windows.Count)];
                        var register = random.Next(2) == 0;
                        var address = register
                            ? window.Start + ((ulong)random.Next(0x110) & ~3UL)
                            : (ulong)((long)window.Start + random.Next(-16, (int)window.Length + 16));
                        var length = register ? 4u : (uint)(1 << random.Next(4));
                        bus = guest.Devices.MmioBus;
                        what = $"mmio {length} at 0x{address:x}";
                        guest.Mmio(random.Next(2) == 0, address, length, BinaryPrimitives.ReadUInt64LittleEndian(data));
                        single = address;
                        break;
                    case 6: // MMIO with a length KVM never reports, or anywhere
                        var wild = random.Next(2) == 0 ? (ulong)random.NextInt64() : Layout.VirtioMmioBase + (ulong)random.Next(0x4000);
                        var wildLength = (uint)(random.Next(2) == 0 ? random.Next(9, 300) : 0);
                        what = $"mmio {wildLength} at 0x{wild:x}";
                        guest.Mmio(random.Next(2) == 0, wild, wildLength, 0);
                        break;
                    case 7: // a queue set up at a hostile place, then made ready and the device started
                        what = HostileQueue(guest, random, windows);
                        break;
                    case 8: // a well-behaved setup now and then, so activated queues see the traffic below
                        var device = random.Next(windows.Count);
                        what = $"clean setup of virtio window {device}";
                        drivers[device] = new VirtioTestDriver(guest.Memory, guest.Devices.Virtio[device], guest.Devices.Virtio[device].Device.QueueCount);
                        drivers[device].Initialize();
                        break;
                    case 12 or 13: // plausible requests: chains of in-RAM buffers of random size, content and direction
                        var target = random.Next(windows.Count);
                        var q = random.Next(guest.Devices.Virtio[target].Device.QueueCount);
                        var buffers = Enumerable.Range(0, random.Next(1, 4)).Select(_ =>
                        {
                            var bufferLength = (uint)random.Next(1, 4096);
                            return ((ulong)random.Next(0x100000, SimulatedGuest.GuestSize - (int)bufferLength), bufferLength, random.Next(2) == 0);
                        }).ToArray();
                        foreach (var (bufferAddress, bufferLength, _) in buffers)
                        {
                            var bytes = new byte[bufferLength];
                            random.NextBytes(bytes);
                            guest.Memory.Write(bufferAddress, bytes);
                        }

                        if (target == 0 && random.Next(2) == 0)
                        {
                            // A block request that mostly makes sense: header, whole sectors, status byte; read, write, flush or
                            // get-id; a sector up to past the disk's end.
                            var sectors = (uint)random.Next(0, 4) * VirtioBlock.SectorSize;
                            buffers = [(buffers[0].Item1 & ~0xfffUL, 16, false), ((buffers[0].Item1 & ~0xfffUL) + 0x1000, sectors, random.Next(2) == 0),
                                ((buffers[0].Item1 & ~0xfffUL) + 0x3000, 1, true)];
                            buffers = [.. buffers.Where(b => b.Item2 > 0)];
                            var request = new byte[16];
                            BinaryPrimitives.WriteUInt32LittleEndian(request, random.Next(5) switch { 0 => VirtioBlock.TypeIn, 1 => VirtioBlock.TypeOut, 2 => VirtioBlock.TypeFlush, 3 => VirtioBlock.TypeGetId, _ => (uint)random.Next() });
                            BinaryPrimitives.WriteUInt64LittleEndian(request.AsSpan(8), (ulong)random.Next(0, (int)(guest.Disk.Size / VirtioBlock.SectorSize) + 4));
                            guest.Memory.Write(buffers[0].Item1, request);
                        }

                        if (guest.Devices.Virtio[target].Device is VirtioVsock && q == VirtioVsock.TxQueue && random.Next(2) == 0)
                        {
                            // A vsock packet that mostly makes sense: to a connection of a knocking client or anywhere.
                            var packet = PlausibleVsockPacket(random);
                            var packetAt = buffers[0].Item1 & ~0xfffUL;
                            guest.Memory.Write(packetAt, packet);
                            buffers = [(packetAt, (uint)(random.Next(4) == 0 ? random.Next(packet.Length + 1) : packet.Length), false)];
                        }

                        what = $"request of {buffers.Length} buffers on queue {q} of window {target}";
                        drivers[target].Submit(q, true, buffers);
                        break;
                    case 9: // random descriptors (addresses near and past the end of RAM, loops, bad next) and a wild avail index
                        what = HostileDescriptors(guest, random, windows);
                        break;
                    case 10: // a frame arrives for the guest on the network, into whatever receive buffers it posted
                        what = "rx frame";
                        var frame = new byte[random.Next(14, 2000)];
                        random.NextBytes(frame);
                        guest.NetBackend.ToGuest.Add(frame);
                        break;
                    case 14: // the driver's interrupt handler: read InterruptStatus, acknowledge it (or random bits)
                        var acked = windows[random.Next(windows.Count)].Start;
                        var pending = guest.MmioRead32(acked + RegInterruptStatus);
                        var ack = random.Next(4) == 0 ? (uint)random.Next() : pending;
                        what = $"ack 0x{ack:x} of 0x{pending:x} at 0x{acked:x}";
                        guest.MmioWrite32(acked + RegInterruptAck, ack);
                        break;
                    default: // random bytes over the rings themselves
                        var ring = VirtioTestDriver.DescTable(random.Next(2)) + (ulong)random.Next(0x3000);
                        what = $"scribble at 0x{ring:x}";
                        guest.Memory.TryWrite(ring, BinaryPrimitives.ReadUInt32LittleEndian(data));
                        break;
                }

                if (single is { } at)
                {
                    var hitsNothing = !bus.TryFind(at, out _, out _) || bus.Ranges.All(r => at - r.Start >= r.Length);
                    var unhandledNow = bus == guest.Devices.PortBus ? guest.Devices.PortBus.Unhandled : guest.Devices.MmioBus.Unhandled;
                    var unhandledThen = bus == guest.Devices.PortBus ? unhandledBefore.Item1 : unhandledBefore.Item2;
                    Assert.True(unhandledNow - unhandledThen == (hitsNothing ? 1 : 0), $"unhandled count moved by {unhandledNow - unhandledThen}");
                }

                CheckDevices(guest);
                failures += guest.Devices.Virtio.Count(t => t.FailureReason is not null);
                if (op % 1000 == 0)
                {
                    Assert.Null(guest.DamagedGuard());
                }
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"seed {seed}, exit {op} ({what}): {e}");
            }
        }

        Assert.Null(guest.DamagedGuard());

        // The storm reached the devices' depths, not only their registers.
        Assert.True(guest.Block.Reads + guest.Block.Writes > 0, "virtio-blk never read or wrote");
        Assert.True(guest.Rng.BytesServed > 0, "virtio-rng never served a request");
        Assert.True(guest.Net.TxFrames > 0, "virtio-net never sent a frame");
        Assert.True(guest.Vsock.GuestErrors > 0, "virtio-vsock never saw a bad packet");
        Assert.True(failures > 0, "no virtio device was ever failed by a bad queue or descriptor");
        foreach (var client in clients)
        {
            // Each knock ends: accepted by the storm, refused, or timed out (2 s); none hangs.
            try
            {
                await (await client.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)).DisposeAsync();
            }
            catch (IOException)
            {
            }

            Assert.True(client.IsCompleted, "a host client of the vsock device never got an answer");
        }

        Assert.True(guest.Counters.UnhandledIo > 0 && guest.Counters.Mmio > 0);

        WellBehavedDriver_UsesEveryDevice(guest);
        Assert.Null(guest.DamagedGuard());
    }

    /// <summary>Invariants that hold between any two exits, whatever the guest did.</summary>
    private static void CheckDevices(SimulatedGuest guest)
    {
        // UART: the line is high exactly when IIR names a pending interrupt (reading IIR is what a driver does).
        var serialLine = guest.Lines[Layout.SerialIrq].Level;
        var iir = Read(guest.Devices.Serial, 2);
        Assert.True(serialLine == ((iir & 1) == 0), $"UART line {serialLine} but IIR 0x{iir:x2}");

        // i8042: IRQ 1 is only raised with a byte in the output buffer.
        var keyboardLine = guest.Lines[Layout.KeyboardIrq].Level;
        var status = Read(guest.Devices.Keyboard, I8042Controller.CommandOffset);
        Assert.True(!keyboardLine || (status & 1) != 0, $"i8042 line high with status 0x{status:x2}");

        // virtio-mmio: the line is high exactly while InterruptStatus is non-zero; identity registers never change.
        for (var i = 0; i < guest.Devices.Virtio.Count; i++)
        {
            var transport = guest.Devices.Virtio[i];
            lock (transport.SyncRoot)
            {
                var line = guest.Lines[Layout.FirstVirtioIrq + (uint)i].Level;
                var interrupt = Read32(transport, RegInterruptStatus);
                Assert.True(line == (interrupt != 0), $"virtio {i}: line {line} but InterruptStatus {interrupt}");
                Assert.Equal(VirtioMmioTransport.MagicValue, Read32(transport, 0));
                Assert.Equal(VirtioMmioTransport.Version, Read32(transport, 4));
                Assert.Equal(transport.Device.DeviceId, Read32(transport, 8));
            }
        }
    }

    private static string HostileQueue(SimulatedGuest guest, Random random, IReadOnlyList<(ulong Start, ulong Length, IBusDevice Device)> windows)
    {
        var w = random.Next(windows.Count);
        var b = windows[w].Start;
        var queue = (uint)random.Next(4);
        var size = (uint)(random.Next(3) == 0 ? random.Next(0, 70000) : 1 << random.Next(9));
        guest.MmioWrite32(b + RegStatus, 0);
        guest.MmioWrite32(b + RegStatus, 0xb);
        guest.MmioWrite32(b + RegQueueSel, queue);
        guest.MmioWrite32(b + RegQueueNum, size);
        var addresses = new ulong[3];
        for (var r = 0; r < 3; r++)
        {
            addresses[r] = RandomAddress(random);
            guest.MmioWrite32(b + RegQueueDescLow + 0x10 * (ulong)r, (uint)addresses[r]);
            guest.MmioWrite32(b + RegQueueDescLow + 0x10 * (ulong)r + 4, (uint)(addresses[r] >> 32));
        }

        guest.MmioWrite32(b + RegQueueReady, 1);
        guest.MmioWrite32(b + RegStatus, 0xf);
        guest.MmioWrite32(b + RegQueueNotify, queue);
        return $"queue {queue} of window {w}: size {size}, rings 0x{addresses[0]:x} 0x{addresses[1]:x} 0x{addresses[2]:x}";
    }

    private static string HostileDescriptors(SimulatedGuest guest, Random random, IReadOnlyList<(ulong Start, ulong Length, IBusDevice Device)> windows)
    {
        var w = random.Next(windows.Count);
        var transport = guest.Devices.Virtio[w];
        var q = random.Next(transport.Device.QueueCount);
        var driver = new VirtioTestDriver(guest.Memory, transport, transport.Device.QueueCount);
        var index = (ushort)random.Next(20);
        var address = RandomAddress(random);
        var length = (uint)random.Next(-1, 70000);
        driver.WriteDescriptor(q, index, address, length, (ushort)random.Next(8), (ushort)random.Next(20));
        if (random.Next(4) == 0)
        {
            guest.Memory.TryWrite(VirtioTestDriver.AvailRing(q) + 2, (ushort)random.Next(65536));
        }

        guest.Memory.TryWrite(VirtioTestDriver.AvailRing(q) + 4 + 2 * (ulong)random.Next(16), (ushort)random.Next(20));
        guest.Memory.TryRead(VirtioTestDriver.AvailRing(q) + 2, out ushort avail);
        guest.Memory.TryWrite(VirtioTestDriver.AvailRing(q) + 2, (ushort)(avail + 1));
        guest.MmioWrite32(windows[w].Start + RegQueueNotify, (uint)q);
        return $"descriptor {index} of queue {q}, window {w}: 0x{address:x}+0x{length:x}";
    }

    /// <summary>After the storm, each device still works for a driver that resets it and plays by the rules.</summary>
    private static void WellBehavedDriver_UsesEveryDevice(SimulatedGuest guest)
    {
        // UART: 8N1, no loopback, one byte out.
        guest.OutByte((ushort)(Layout.SerialPort + 3), 0x03);
        guest.OutByte((ushort)(Layout.SerialPort + 4), 0x00);
        guest.OutByte((ushort)Layout.SerialPort, (byte)'Z');
        Assert.Equal((byte)'Z', guest.Console.ToArray()[^1]);

        // i8042: drain the output buffer, then the controller self-test answers 0x55.
        for (var i = 0; i < 100 && (guest.InByte((ushort)Layout.I8042CommandPort) & 1) != 0; i++)
        {
            guest.InByte((ushort)Layout.I8042DataPort);
        }

        guest.OutByte((ushort)Layout.I8042CommandPort, 0xaa);
        Assert.Equal(1, guest.InByte((ushort)Layout.I8042CommandPort) & 1);
        Assert.Equal(0x55, guest.InByte((ushort)Layout.I8042DataPort));

        // virtio: reset, set up, one request each.
        const ulong Buffer = 0x200000;
        var blk = Driver(guest, 0);
        Span<byte> header = stackalloc byte[16];
        guest.Memory.Write(Buffer, header); // VIRTIO_BLK_T_IN, sector 0
        blk.Submit(0, true, (Buffer, 16, false), (Buffer + 0x1000, 512, true), (Buffer + 0x2000, 1, true));
        Assert.Equal(1, blk.UsedIndex(0));
        guest.Memory.TryRead(Buffer + 0x2000, out byte blkStatus);
        Assert.Equal(VirtioBlock.StatusOk, blkStatus);
        var sector = new byte[512];
        guest.Memory.TryRead(Buffer + 0x1000, sector);
        Assert.Equal(guest.Disk.Disk.AsSpan(0, 512).ToArray(), sector);

        var net = Driver(guest, 1);
        var frame = new byte[VirtioNet.HeaderSize + 60];
        Array.Fill(frame, (byte)0x5a, VirtioNet.HeaderSize, 60);
        guest.Memory.Write(Buffer, frame);
        var sentBefore = guest.NetBackend.Sent.Count;
        net.Submit(VirtioNet.TxQueue, true, (Buffer, (uint)frame.Length, false));
        Assert.Equal(1, net.UsedIndex(VirtioNet.TxQueue));
        Assert.Equal(frame[VirtioNet.HeaderSize..], guest.NetBackend.Sent.Skip(sentBefore).Single());

        var rng = Driver(guest, 2);
        rng.Submit(0, true, (Buffer, 64, true));
        Assert.Equal(1, rng.UsedIndex(0));
        Assert.Equal(64u, rng.UsedElement(0, 0).Length);

        // Every test driver puts queue q's rings at the same addresses: reset virtio-net first, or its receive thread
        // would deliver the storm's queued frames into the vsock receive buffers posted below.
        guest.MmioWrite32(guest.Devices.MmioBus.Ranges[1].Start + RegStatus, 0);
        Driver(guest, 3);
        var vsock = new VsockTestGuest(guest.Memory, guest.Devices.Virtio[3]);
        vsock.Start();
        var connect = HybridVsock.ConnectAsync(guest.VsockSocket, VsockPort, CancellationToken.None);
        var hostPort = vsock.Accept(VsockPort);
        using var stream = connect.GetAwaiter().GetResult();
        stream.Write("ok"u8);
        Assert.Equal("ok"u8.ToArray(), vsock.ReadData(hostPort, VsockPort, 2));
    }

    private const uint VsockPort = 5252;

    /// <summary>A vsock header (+ payload) with fields from the plausible set: mostly the right cids, knocking clients' ports, any op.</summary>
    private static byte[] PlausibleVsockPacket(Random random)
    {
        var op = (ushort)random.Next(0, 9);
        var length = (uint)(op == VirtioVsock.OpRw ? random.Next(0, 3000) : random.Next(4) == 0 ? random.Next(0, 100) : 0);
        var header = new VsockPacketHeader(
            random.Next(8) == 0 ? (ulong)random.Next(10) : VsockTestGuest.GuestCid,
            random.Next(8) == 0 ? (ulong)random.Next(10) : VirtioVsock.HostCid,
            random.Next(4) == 0 ? (uint)random.Next() : VsockPort,
            VirtioVsock.FirstHostPort + (uint)random.Next(0, 16),
            random.Next(8) == 0 ? (uint)random.Next() : length,
            random.Next(8) == 0 ? (ushort)random.Next(4) : VirtioVsock.TypeStream,
            op,
            random.Next(4) == 0 ? (uint)random.Next(8) : 0,
            (uint)random.Next(0, 300_000),
            random.Next(4) == 0 ? (uint)random.Next() : 0);
        var packet = new byte[VsockPacketHeader.Size + length];
        header.Write(packet);
        random.NextBytes(packet.AsSpan(VsockPacketHeader.Size));
        return packet;
    }

    private static VirtioTestDriver Driver(SimulatedGuest guest, int window)
    {
        var transport = guest.Devices.Virtio[window];
        var driver = new VirtioTestDriver(guest.Memory, transport, transport.Device.QueueCount);
        for (var q = 0; q < transport.Device.QueueCount; q++)
        {
            guest.Memory.Write(VirtioTestDriver.DescTable(q), new byte[0x3000]);
        }

        Assert.Equal(0xfu, driver.Initialize());
        Assert.Null(transport.FailureReason);
        return driver;
    }

    private static ulong RandomAddress(Random random) => random.Next(5) switch
    {
        0 => (ulong)random.NextInt64(),
        1 => SimulatedGuest.GuestSize - (ulong)random.Next(1, 4096),
        2 => ulong.MaxValue - (ulong)random.Next(4096),
        3 => (ulong)random.Next(0, SimulatedGuest.GuestSize) & ~15UL,
        _ => 0x100000 + (ulong)random.Next(0x100000),
    };

    private static byte Read(IBusDevice device, ulong offset)
    {
        Span<byte> b = stackalloc byte[1];
        device.Read(offset, b);
        return b[0];
    }

    private static uint Read32(IBusDevice device, ulong offset)
    {
        Span<byte> b = stackalloc byte[4];
        device.Read(offset, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    [Fact]
    public void TryGetSpan_OverflowingRanges_AreRejected()
    {
        using var memory = GuestMemory.FromArray(GC.AllocateArray<byte>(4096, pinned: true));
        Assert.False(memory.TryGetSpan(ulong.MaxValue - 1, 4, out _));
        Assert.False(memory.TryGetSpan(4090, 7, out _));
        Assert.False(memory.TryGetSpan(0, -1, out _));
        Assert.True(memory.TryGetSpan(4092, 4, out _));
        Assert.False(memory.TryWriteVolatile(4095, 1));
    }
}
