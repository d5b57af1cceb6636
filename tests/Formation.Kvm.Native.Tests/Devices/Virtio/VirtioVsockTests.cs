using System.Net.Sockets;
using System.Text;
using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Interop;
using Formation.Kvm.Native.Memory;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Devices.Virtio;

/// <summary>
/// virtio-vsock driven through its queues over a byte-array guest memory (<see cref="VsockTestGuest"/> plays the guest's
/// driver), with real Unix sockets and the contract's client (<see cref="HybridVsock.ConnectAsync"/>) on the host side.
/// The hostile cases send what a malicious guest would and check that only the offending connection suffers.
/// </summary>
public sealed class VirtioVsockTests : IDisposable
{
    private const uint Port = 5252;
    private readonly GuestMemory _memory = GuestMemory.FromArray(GC.AllocateArray<byte>(4 << 20, pinned: true));
    private readonly Tools.TempDir _dir = Tools.CreateTempDir();
    private readonly VirtioVsock _vsock;
    private readonly VirtioMmioTransport _transport;
    private readonly VsockTestGuest _guest;

    public VirtioVsockTests()
        : this(TimeSpan.FromSeconds(10), VirtioVsock.DefaultMaxConnections)
    {
    }

    private VirtioVsockTests(TimeSpan connectTimeout, int maxConnections)
    {
        _vsock = new VirtioVsock(_memory, VsockTestGuest.GuestCid, UnixListener.Bind(Socket, "vsock socket"), Socket,
            connectTimeout: connectTimeout, maxConnections: maxConnections);
        _transport = new VirtioMmioTransport(_vsock, _memory, new RecordingLine());
        _guest = new VsockTestGuest(_memory, _transport);
        _vsock.Start();
    }

    private string Socket => _dir.File("vsock.sock");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _vsock.Dispose();
        _memory.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Config_ReportsGuestCidAndDeviceId()
    {
        Span<byte> config = stackalloc byte[8];
        _transport.Read(0x100, config);
        Assert.Equal(3ul, BitConverter.ToUInt64(config));
        Assert.Equal(19u, _guest.Driver.ReadRegister(0x008));
    }

    [Fact]
    public async Task Connect_GuestAccepts_OkThenBytesFlowBothWays()
    {
        _guest.Start();
        var connect = HybridVsock.ConnectAsync(Socket, Port, Token);
        var request = _guest.WaitFor(h => h.Op == VirtioVsock.OpRequest, "REQUEST").Header;
        Assert.Equal((2ul, 3ul, Port, VirtioVsock.TypeStream, VirtioVsock.BufAlloc), (request.SrcCid, request.DstCid, request.DstPort, request.Type, request.BufAlloc));
        Assert.True(request.SrcPort >= VirtioVsock.FirstHostPort);
        _guest.Send(_guest.Header(request.SrcPort, Port, VirtioVsock.OpResponse));
        await using var stream = await connect;

        await stream.WriteAsync("hello guest"u8.ToArray(), Token);
        Assert.Equal("hello guest", Encoding.ASCII.GetString(_guest.ReadData(request.SrcPort, Port, 11)));

        _guest.SendSplit(_guest.Header(request.SrcPort, Port, VirtioVsock.OpRw, 10), "hello host"u8);
        Assert.Equal("hello host", Encoding.ASCII.GetString(await ReadExactly(stream, 10)));
        Assert.Equal(0, _vsock.GuestErrors);
    }

    [Fact]
    public async Task Connect_GuestResets_ClientIsClosedWithReason()
    {
        _guest.Start();
        var connect = HybridVsock.ConnectAsync(Socket, Port, Token);
        var request = _guest.WaitFor(h => h.Op == VirtioVsock.OpRequest, "REQUEST").Header;
        _guest.Send(_guest.Header(request.SrcPort, Port, VirtioVsock.OpRst));
        var e = await Assert.ThrowsAsync<IOException>(() => connect);
        Assert.Contains("did not accept vsock port 5252", e.Message);
    }

    [Fact]
    public async Task Connect_GuestNeverAnswers_ClosedAfterTimeoutAndGuestGetsRst()
    {
        using var t = new VirtioVsockTests(TimeSpan.FromMilliseconds(500), 4);
        t._guest.Start();
        var connect = HybridVsock.ConnectAsync(t.Socket, Port, Token);
        var request = t._guest.WaitFor(h => h.Op == VirtioVsock.OpRequest, "REQUEST").Header;
        await Assert.ThrowsAsync<IOException>(() => connect);
        t._guest.WaitFor(h => h.Op == VirtioVsock.OpRst && h.SrcPort == request.SrcPort, "RST after the timeout");

        // A RESPONSE that comes too late gets an RST, not a connection.
        t._guest.Send(t._guest.Header(request.SrcPort, Port, VirtioVsock.OpResponse));
        t._guest.WaitFor(h => h.Op == VirtioVsock.OpRst && h.SrcPort == request.SrcPort, "RST for the late RESPONSE");
    }

    [Theory]
    [InlineData("HELLO 5252\n")]
    [InlineData("CONNECT\n")]
    [InlineData("CONNECT 99999999999\n")]
    [InlineData("CONNECT 12345678901234567890123456789\n")]
    public async Task Connect_MalformedLine_ClientIsClosed(string line)
    {
        _guest.Start();
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await s.ConnectAsync(new UnixDomainSocketEndPoint(Socket), Token);
        await s.SendAsync(Encoding.ASCII.GetBytes(line), Token);
        var buffer = new byte[16];
        try
        {
            Assert.Equal(0, await s.ReceiveAsync(buffer, Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with bytes of the overlong line unread.
        }

        Assert.Equal(0, _guest.Poll());
    }

    [Fact]
    public async Task HostHalfClose_GuestGetsShutdown_GuestCloseEndsWithRstAndEof()
    {
        _guest.Start();
        var (stream, socket, hostPort) = await OpenAsync();
        await stream.WriteAsync("bye"u8.ToArray(), Token);
        socket.Shutdown(SocketShutdown.Send);
        Assert.Equal("bye", Encoding.ASCII.GetString(_guest.ReadData(hostPort, Port, 3)));
        var shutdown = _guest.WaitFor(h => h.Op == VirtioVsock.OpShutdown, "SHUTDOWN").Header;
        Assert.Equal(VirtioVsock.ShutdownSend, shutdown.Flags);

        // The guest answers its last bytes and closes (Linux: SHUTDOWN with both flags, then it waits for RST).
        _guest.Send(_guest.Header(hostPort, Port, VirtioVsock.OpRw, 4), "done"u8);
        _guest.Send(_guest.Header(hostPort, Port, VirtioVsock.OpShutdown, flags: 3));
        Assert.Equal("done", Encoding.ASCII.GetString(await ReadExactly(stream, 4)));
        Assert.Equal(0, await stream.ReadAsync(new byte[1], Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token));
        _guest.WaitFor(h => h.Op == VirtioVsock.OpRst && h.SrcPort == hostPort, "RST that ends the connection");
        Assert.Equal(0, _vsock.GuestErrors);
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task HostToGuest_NeverMoreThanGuestCredit()
    {
        _guest.BufAlloc = 1000;
        _guest.Start();
        var (stream, _, hostPort) = await OpenAsync();
        var data = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        await stream.WriteAsync(data, Token);

        // Without an acknowledgement the guest gets its 1000 bytes of credit and nothing more.
        var first = _guest.ReadData(hostPort, Port, 1000, acknowledge: false);
        Thread.Sleep(300);
        _guest.Poll();
        Assert.DoesNotContain(_guest.Received, p => p.Header.Op == VirtioVsock.OpRw);

        // Each credit update (fwd_cnt) lets the next bytes through, in order.
        _guest.Send(_guest.Header(hostPort, Port, VirtioVsock.OpCreditUpdate));
        var rest = _guest.ReadData(hostPort, Port, 4000);
        Assert.Equal(data, first.Concat(rest).ToArray());
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task GuestToHost_LargeTransferWithCreditUpdates_ArrivesIntact()
    {
        _guest.Start();
        var (stream, _, hostPort) = await OpenAsync();
        var data = new byte[1 << 20];
        new Random(17).NextBytes(data);
        var read = ReadExactly(stream, data.Length);
        uint sent = 0, peerFwd = 0;
        while (sent < data.Length)
        {
            // Respect the device's credit as Linux does: wait for a credit update when it is used up.
            var credit = VirtioVsock.BufAlloc - (sent - peerFwd);
            if (credit == 0)
            {
                var update = _guest.WaitFor(h => h.SrcPort == hostPort && h.FwdCnt != peerFwd, "credit update").Header;
                peerFwd = update.FwdCnt;
                continue;
            }

            var n = (int)Math.Min(Math.Min(credit, 32 * 1024), data.Length - sent);
            _guest.Send(_guest.Header(hostPort, Port, VirtioVsock.OpRw, (uint)n), data.AsSpan((int)sent, n));
            sent += (uint)n;
            _guest.Poll();
            foreach (var p in _guest.Received.Where(p => p.Header.SrcPort == hostPort))
            {
                peerFwd = p.Header.FwdCnt;
            }

            _guest.Received.Clear();
        }

        Assert.Equal(data, await read);
        Assert.Equal(0, _vsock.GuestErrors);
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task GuestInitiatedRequest_IsRefusedWithRst()
    {
        _guest.Start();
        _guest.Send(_guest.Header(1234, 40000, VirtioVsock.OpRequest));
        var rst = _guest.WaitFor(h => h.Op == VirtioVsock.OpRst, "RST").Header;
        Assert.Equal((1234u, 40000u), (rst.SrcPort, rst.DstPort));
        await Task.CompletedTask;
    }

    // ---- hostile guests ----

    [Fact]
    public async Task Hostile_ExceedsCredit_OnlyThatConnectionIsReset()
    {
        _guest.Start();
        var (victim, _, victimPort) = await OpenAsync();
        var (other, _, otherPort) = await OpenAsync();

        // The victim's client never reads: the device forwards what the socket takes, then the guest runs out of credit
        // and keeps sending anyway.
        var chunk = new byte[VirtioVsock.MaxPayload];
        for (var i = 0; i < 40 && _vsock.GuestErrors == 0; i++)
        {
            _guest.Send(_guest.Header(victimPort, Port, VirtioVsock.OpRw, (uint)chunk.Length), chunk);
        }

        Assert.Equal(1, _vsock.GuestErrors);
        Assert.Contains("bytes of credit", _vsock.LastGuestError);
        _guest.WaitFor(h => h.Op == VirtioVsock.OpRst && h.SrcPort == victimPort, "RST of the offending connection");

        await AssertEchoes(other, otherPort);
        await victim.DisposeAsync();
        await other.DisposeAsync();
    }

    [Theory]
    [InlineData("length beyond the descriptors", "says it carries 4096 bytes but has 100")]
    [InlineData("length beyond the largest packet", "says it carries 70000")]
    [InlineData("unknown op", "unknown op 42")]
    [InlineData("not a stream", "is not a stream")]
    [InlineData("payload on a control packet", "control packet")]
    [InlineData("fwd_cnt past what was sent", "fwd_cnt 5000")]
    [InlineData("unknown shutdown flags", "unknown flags")]
    [InlineData("a second RESPONSE", "already open")]
    public async Task Hostile_MalformedPacket_ResetsOnlyItsConnection(string what, string reason)
    {
        _guest.Start();
        var (victim, _, victimPort) = await OpenAsync();
        var (other, _, otherPort) = await OpenAsync();
        _guest.SendRaw(MalformedPacket(what, _guest, victimPort));

        Assert.True(_vsock.GuestErrors == 1, $"{what}: {_vsock.GuestErrors} errors, last {_vsock.LastGuestError}");
        Assert.Contains(reason, _vsock.LastGuestError);
        _guest.WaitFor(h => h.Op == VirtioVsock.OpRst && h.SrcPort == victimPort, "RST");
        Assert.Equal(0, await victim.ReadAsync(new byte[1], Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token));
        await AssertEchoes(other, otherPort);
        Assert.Equal(VirtioIds.StatusDriverOk, _transport.Status & (VirtioIds.StatusDriverOk | VirtioIds.StatusDeviceNeedsReset));
        await victim.DisposeAsync();
        await other.DisposeAsync();
    }

    [Fact]
    public async Task Hostile_WrongCidsAndShortHeaders_AreDroppedAndCounted()
    {
        _guest.Start();
        var (stream, _, hostPort) = await OpenAsync();
        _guest.Send(_guest.Header(hostPort, Port, VirtioVsock.OpRw, 4) with { SrcCid = 7 }, "evil"u8);
        _guest.Send(_guest.Header(hostPort, Port, VirtioVsock.OpRw, 4) with { DstCid = 9 }, "evil"u8);
        _guest.SendRaw(new byte[20]);
        Assert.Equal(3, _vsock.GuestErrors);

        // Nothing reached the host and the connection still works.
        await AssertEchoes(stream, hostPort);
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task Hostile_TinyRxBuffers_AreReturnedEmptyWithoutHarm()
    {
        _guest.Start(rxBuffers: 0);
        _guest.PostRx(0x100000, 10);
        var connect = HybridVsock.ConnectAsync(Socket, Port, Token);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_vsock.GuestErrors == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.Contains("cannot hold the 44-byte header", _vsock.LastGuestError);
        _guest.Poll();
        _guest.PostRx(0x102000);
        var hostPort = _guest.Accept(Port);
        await using var stream = await connect;
        await AssertEchoes(stream, hostPort);
    }

    [Fact]
    public async Task Hostile_FloodOfUnknownPackets_RstQueueIsBounded()
    {
        _guest.Start(rxBuffers: 0);
        for (var i = 0; i < 500; i++)
        {
            _guest.Send(_guest.Header(77, (uint)(1000 + i), VirtioVsock.OpCreditRequest));
        }

        // Only MaxPendingResets RSTs wait for rx buffers; the rest were dropped.
        for (var i = 0; i < 8; i++)
        {
            _guest.PostRx(0x100000 + (ulong)i * 0x2000);
        }

        var rsts = 0;
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (rsts < VirtioVsock.MaxPendingResets && DateTime.UtcNow < deadline)
        {
            _guest.Driver.WriteRegister(0x50, VirtioVsock.RxQueue);
            rsts += _guest.Poll();
        }

        Thread.Sleep(100);
        _guest.Driver.WriteRegister(0x50, VirtioVsock.RxQueue);
        rsts += _guest.Poll();
        Assert.Equal(VirtioVsock.MaxPendingResets, rsts);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Hostile_NoRxBuffersWhileTheHostRetries_NothingPilesUp()
    {
        using var t = new VirtioVsockTests(TimeSpan.FromMilliseconds(100), 4);
        t._guest.Start(rxBuffers: 0);
        for (var i = 0; i < 30; i++)
        {
            await Assert.ThrowsAsync<IOException>(() => HybridVsock.ConnectAsync(t.Socket, Port, Token));
        }

        lock (t._transport.SyncRoot)
        {
            // The REQUESTs never reached the guest, so no RST is owed; ended connections are pruned from the ready queue.
            Assert.InRange(t._vsock.QueuedForGuest, 0, 2 * 4 + 1);
        }

        // Once the guest posts buffers it sees nothing of the 30 attempts, and a new connection works.
        for (var i = 0; i < 8; i++)
        {
            t._guest.PostRx(0x100000 + (ulong)i * 0x2000);
        }

        var (stream, _, hostPort) = await t.OpenAsync();
        Assert.DoesNotContain(t._guest.Received, p => p.Header.Op == VirtioVsock.OpRequest);
        await t.AssertEchoes(stream, hostPort);
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task ConnectionCap_ExtraClientsAreClosed()
    {
        using var t = new VirtioVsockTests(TimeSpan.FromSeconds(10), 2);
        t._guest.Start();
        var (a, _, _) = await t.OpenAsync();
        var (b, _, _) = await t.OpenAsync();
        var e = await Assert.ThrowsAsync<IOException>(() => HybridVsock.ConnectAsync(t.Socket, Port, Token));
        Assert.Contains("did not accept", e.Message);
        await a.DisposeAsync();
        await b.DisposeAsync();
    }

    [Fact]
    public async Task DeviceReset_ClosesEveryClient()
    {
        _guest.Start();
        var (stream, _, _) = await OpenAsync();
        _guest.Driver.WriteRegister(0x70, 0);
        Assert.Equal(0, await stream.ReadAsync(new byte[1], Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token));
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task TransportReset_ClosesClientsAndPostsTheEvent()
    {
        _guest.Start();
        var (stream, _, _) = await OpenAsync();
        lock (_transport.SyncRoot)
        {
            Assert.False(_vsock.SendTransportReset(), "no event buffer is posted yet");
        }

        Assert.Equal(0, await stream.ReadAsync(new byte[1], Token).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Token));
        _memory.Write(0x380000, new byte[] { 0xff, 0xff, 0xff, 0xff });
        lock (_transport.SyncRoot)
        {
            _guest.Driver.Submit(VirtioVsock.EventQueue, false, (0x380000, 4, true));
            Assert.True(_vsock.SendTransportReset());
        }

        Assert.Equal(1, _guest.Driver.UsedIndex(VirtioVsock.EventQueue));
        Assert.Equal(4u, _guest.Driver.UsedElement(VirtioVsock.EventQueue, 0).Length);
        Assert.True(_memory.TryRead(0x380000, out uint id));
        Assert.Equal(0u, id); // VIRTIO_VSOCK_EVENT_TRANSPORT_RESET
        await stream.DisposeAsync();
    }

    [Fact]
    public async Task State_RoundTrips_AndHostPortsContinue()
    {
        _guest.Start();
        var (stream, _, first) = await OpenAsync();
        VirtioVsockState state;
        lock (_transport.SyncRoot)
        {
            state = _vsock.CaptureState();
        }

        Assert.Equal(new VirtioVsockState(3, first + 1), state);
        using var t = new VirtioVsockTests(TimeSpan.FromSeconds(10), 4);
        Assert.Throws<ArgumentException>(() => t._vsock.RestoreState(state with { GuestCid = 4 }));
        t._vsock.RestoreState(state with { NextHostPort = first + 100 });
        t._guest.Start();
        var (other, _, port) = await t.OpenAsync();
        Assert.Equal(first + 100, port);
        await stream.DisposeAsync();
        await other.DisposeAsync();
    }

    private async Task<(Stream Stream, Socket Socket, uint HostPort)> OpenAsync()
    {
        var connect = HybridVsock.ConnectAsync(Socket, Port, Token);
        var hostPort = _guest.Accept(Port);
        var stream = (NetworkStream)await connect;
        return (stream, stream.Socket, hostPort);
    }

    /// <summary>Bytes go both ways on the connection: the guest echoes what the host wrote.</summary>
    private async Task AssertEchoes(Stream stream, uint hostPort)
    {
        await stream.WriteAsync("ping"u8.ToArray(), Token);
        var got = _guest.ReadData(hostPort, Port, 4);
        Assert.Equal("ping", Encoding.ASCII.GetString(got));
        _guest.Send(_guest.Header(hostPort, Port, VirtioVsock.OpRw, 4), got);
        Assert.Equal("ping", Encoding.ASCII.GetString(await ReadExactly(stream, 4)));
    }

    private static async Task<byte[]> ReadExactly(Stream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, Token).AsTask().WaitAsync(TimeSpan.FromSeconds(30), Token);
        return buffer;
    }

    private static byte[] MalformedPacket(string what, VsockTestGuest g, uint p) => what switch
    {
        "length beyond the descriptors" => Raw(g.Header(p, Port, VirtioVsock.OpRw, 4096), 100),
        "length beyond the largest packet" => Raw(g.Header(p, Port, VirtioVsock.OpRw, 70000), 70000),
        "unknown op" => Raw(g.Header(p, Port, 42), 0),
        "not a stream" => Raw(g.Header(p, Port, VirtioVsock.OpRw, type: 2), 0),
        "payload on a control packet" => Raw(g.Header(p, Port, VirtioVsock.OpCreditUpdate, 8), 8),
        "fwd_cnt past what was sent" => Raw(g.Header(p, Port, VirtioVsock.OpCreditUpdate) with { FwdCnt = 5000 }, 0),
        "unknown shutdown flags" => Raw(g.Header(p, Port, VirtioVsock.OpShutdown, flags: 0x80), 0),
        "a second RESPONSE" => Raw(g.Header(p, Port, VirtioVsock.OpResponse), 0),
        _ => throw new ArgumentException(what),
    };

    private static byte[] Raw(in VsockPacketHeader header, int payload)
    {
        var raw = new byte[VsockPacketHeader.Size + payload];
        header.Write(raw);
        return raw;
    }
}
