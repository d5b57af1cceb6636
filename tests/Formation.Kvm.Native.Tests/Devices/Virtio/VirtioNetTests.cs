using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Memory;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Devices.Virtio;

public sealed class VirtioNetTests : IDisposable
{
    private readonly GuestMemory _memory = GuestMemory.FromArray(GC.AllocateArray<byte>(2 << 20, pinned: true));
    private readonly QueueNetBackend _backend = new();
    private readonly VirtioNet _net;
    private readonly VirtioMmioTransport _transport;
    private readonly VirtioTestDriver _driver;

    public VirtioNetTests()
    {
        _net = new VirtioNet(_memory, _backend, [2, 0, 0, 0, 0, 9]);
        _transport = new VirtioMmioTransport(_net, _memory, new RecordingLine());
        _driver = new VirtioTestDriver(_memory, _transport, 2);
        _net.Start();
    }

    public void Dispose()
    {
        _net.Dispose();
        _memory.Dispose();
    }

    [Fact]
    public void Config_ReportsMacAndLinkUp()
    {
        Span<byte> config = stackalloc byte[8];
        _transport.Read(0x100, config);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 9, 1, 0 }, config.ToArray());
    }

    [Fact]
    public void Transmit_StripsHeaderAndSendsFrame()
    {
        _driver.Initialize();
        var frame = Enumerable.Range(0, 60).Select(i => (byte)i).ToArray();
        _memory.Write(0x100000, new byte[12]);
        _memory.Write(0x10000c, frame);
        _driver.Submit(VirtioNet.TxQueue, true, (0x100000, 72, false));
        Assert.True(_backend.Sent.TryDequeue(out var sent));
        Assert.Equal(frame, sent);
        Assert.Equal(1, _driver.UsedIndex(VirtioNet.TxQueue));
    }

    [Fact]
    public void Receive_CopiesHeaderAndFrameIntoPostedBuffer()
    {
        _driver.Initialize();
        _driver.Submit(VirtioNet.RxQueue, true, (0x110000, 2048, true));
        var frame = Enumerable.Repeat((byte)0x5a, 100).ToArray();
        _backend.ToGuest.Add(frame, TestContext.Current.CancellationToken);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_driver.UsedIndex(VirtioNet.RxQueue) == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }

        Assert.Equal(1, _driver.UsedIndex(VirtioNet.RxQueue));
        Assert.Equal(112u, _driver.UsedElement(VirtioNet.RxQueue, 0).Length);
        Assert.True(_memory.TryGetSpan(0x110000 + 12, 100, out var received));
        Assert.Equal(frame, received.ToArray());
        Assert.Equal(1, _net.RxFrames);
    }
}
