using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Memory;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>
/// Plays a guest's virtio-vsock driver over a byte-array guest memory: posts rx buffers (4 KiB + header, as Linux does),
/// sends packets on the tx queue (header and payload in one or two descriptors, or anything a hostile guest would write),
/// and collects what the device put in the rx buffers, re-posting each buffer. Rx buffers live from 0x100000, tx
/// packets from 0x300000.
/// </summary>
internal sealed class VsockTestGuest
{
    public const ulong GuestCid = 3;
    public const uint RxBufferSize = 4096 + VsockPacketHeader.Size;
    private const ulong RxBase = 0x100000, TxBase = 0x300000;

    private readonly GuestMemory _memory;
    private readonly VirtioMmioTransport _transport;
    private readonly Dictionary<ushort, ulong> _rxByHead = [];
    private ushort _rxSeen;

    public VsockTestGuest(GuestMemory memory, VirtioMmioTransport transport)
    {
        _memory = memory;
        _transport = transport;
        Driver = new VirtioTestDriver(memory, transport, 3);
    }

    public VirtioTestDriver Driver { get; }

    /// <summary>The guest's own receive buffer and consumption, carried in every packet it sends.</summary>
    public uint BufAlloc { get; set; } = 256 * 1024;

    /// <summary>Per host port: the bytes this guest consumed (fwd_cnt).</summary>
    public Dictionary<uint, uint> FwdCnt { get; } = [];

    public List<(VsockPacketHeader Header, byte[] Payload)> Received { get; } = [];

    /// <summary>Brings the device up and posts <paramref name="rxBuffers"/> receive buffers (at most 8).</summary>
    public void Start(int rxBuffers = 8)
    {
        Assert.Equal(0xfu, Driver.Initialize());
        for (var i = 0; i < rxBuffers; i++)
        {
            PostRx(RxBase + (ulong)i * 0x2000);
        }
    }

    public void PostRx(ulong address, uint size = RxBufferSize)
    {
        lock (_transport.SyncRoot)
        {
            var head = Driver.Submit(VirtioVsock.RxQueue, true, (address, size, true));
            _rxByHead[head] = address;
        }
    }

    public VsockPacketHeader Header(uint hostPort, uint guestPort, ushort op, uint length = 0, uint flags = 0, ushort type = VirtioVsock.TypeStream) =>
        new(GuestCid, VirtioVsock.HostCid, guestPort, hostPort, length, type, op, flags, BufAlloc, FwdCnt.GetValueOrDefault(hostPort));

    /// <summary>Sends a packet in one descriptor of <paramref name="descriptorLength"/> bytes (default: header + payload).</summary>
    public void Send(in VsockPacketHeader header, ReadOnlySpan<byte> payload = default, uint? descriptorLength = null)
    {
        var raw = new byte[VsockPacketHeader.Size + payload.Length];
        header.Write(raw);
        payload.CopyTo(raw.AsSpan(VsockPacketHeader.Size));
        SendRaw(raw, descriptorLength);
    }

    public void SendRaw(ReadOnlySpan<byte> raw, uint? descriptorLength = null)
    {
        lock (_transport.SyncRoot)
        {
            _memory.Write(TxBase, raw);
            Driver.Submit(VirtioVsock.TxQueue, true, (TxBase, descriptorLength ?? (uint)raw.Length, false));
        }
    }

    /// <summary>Header and payload in two chained descriptors (how Linux 6.1 sends).</summary>
    public void SendSplit(in VsockPacketHeader header, ReadOnlySpan<byte> payload)
    {
        var raw = new byte[VsockPacketHeader.Size];
        header.Write(raw);
        lock (_transport.SyncRoot)
        {
            _memory.Write(TxBase, raw);
            _memory.Write(TxBase + 0x1000, payload);
            Driver.Submit(VirtioVsock.TxQueue, true, (TxBase, VsockPacketHeader.Size, false), (TxBase + 0x1000, (uint)payload.Length, false));
        }
    }

    /// <summary>Collects new packets from the used ring (re-posting their buffers); returns how many arrived.</summary>
    public int Poll()
    {
        var count = 0;
        lock (_transport.SyncRoot)
        {
            var used = Driver.UsedIndex(VirtioVsock.RxQueue);
            while (_rxSeen != used)
            {
                var (id, length) = Driver.UsedElement(VirtioVsock.RxQueue, _rxSeen);
                _rxSeen++;
                var address = _rxByHead[(ushort)id];
                Assert.True(_memory.TryGetSpan(address, (int)length, out var data));
                if (length >= VsockPacketHeader.Size)
                {
                    var header = VsockPacketHeader.Read(data);
                    Assert.Equal(VsockPacketHeader.Size + header.Length, length);
                    Received.Add((header, data[VsockPacketHeader.Size..].ToArray()));
                }

                count++;
                _rxByHead.Remove((ushort)id);
                PostRx(address);
            }
        }

        return count;
    }

    /// <summary>Waits (up to 10 s) for a packet matching <paramref name="match"/>, removes and returns it.</summary>
    public (VsockPacketHeader Header, byte[] Payload) WaitFor(Func<VsockPacketHeader, bool> match, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            Poll();
            var i = Received.FindIndex(p => match(p.Header));
            if (i >= 0)
            {
                var packet = Received[i];
                Received.RemoveAt(i);
                return packet;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no {what} within 10 s; received: {string.Join(", ", Received.Select(p => $"op {p.Header.Op} len {p.Header.Length}"))}");
            Thread.Sleep(5);
        }
    }

    /// <summary>Answers the REQUEST for <paramref name="guestPort"/> with RESPONSE; returns the host port.</summary>
    public uint Accept(uint guestPort)
    {
        var request = WaitFor(h => h.Op == VirtioVsock.OpRequest && h.DstPort == guestPort, $"REQUEST for port {guestPort}").Header;
        Send(Header(request.SrcPort, guestPort, VirtioVsock.OpResponse));
        return request.SrcPort;
    }

    /// <summary>Reads <paramref name="count"/> bytes of RW payload on a connection, acknowledging each packet (fwd_cnt) as Linux does.</summary>
    public byte[] ReadData(uint hostPort, uint guestPort, int count, bool acknowledge = true)
    {
        var data = new List<byte>();
        while (data.Count < count)
        {
            var (h, payload) = WaitFor(h => h.Op == VirtioVsock.OpRw && h.SrcPort == hostPort && h.DstPort == guestPort, $"data ({data.Count} of {count} bytes so far)");
            data.AddRange(payload);
            FwdCnt[hostPort] = FwdCnt.GetValueOrDefault(hostPort) + (uint)payload.Length;
            if (acknowledge)
            {
                Send(Header(hostPort, guestPort, VirtioVsock.OpCreditUpdate));
            }
        }

        return [.. data];
    }
}
