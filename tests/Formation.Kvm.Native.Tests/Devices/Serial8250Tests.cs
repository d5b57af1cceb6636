using Formation.Kvm.Native.Devices;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Devices;

public sealed class Serial8250Tests
{
    private readonly MemoryStream _output = new();
    private readonly RecordingLine _irq = new();
    private readonly Serial8250 _uart;

    public Serial8250Tests() => _uart = new Serial8250(_output, _irq);

    private byte Read(int register)
    {
        Span<byte> b = stackalloc byte[1];
        _uart.Read((ulong)register, b);
        return b[0];
    }

    private void Write(int register, byte value) => _uart.Write((ulong)register, [value]);

    [Fact]
    public void WriteThr_TransmitsByteToStream()
    {
        Write(0, (byte)'A');
        Write(0, (byte)'B');
        Assert.Equal("AB"u8.ToArray(), _output.ToArray());
        Assert.Equal(2, _uart.BytesTransmitted);
    }

    [Fact]
    public void Lsr_AlwaysReportsTransmitterEmpty()
    {
        Assert.Equal(0x60, Read(5));
    }

    [Fact]
    public void EnableThri_RaisesThreInterruptUntilIirRead()
    {
        Write(1, 0x02);
        Assert.True(_irq.Level);
        Assert.Equal(0x02, Read(2));
        Assert.False(_irq.Level);
        Assert.Equal(0x01, Read(2));
    }

    [Fact]
    public void WriteThr_WithThriEnabled_RaisesANewEdgeEachTime()
    {
        Write(1, 0x02);
        Read(2);
        Write(0, (byte)'x');
        Assert.True(_irq.Level);
        Read(2);
        Write(0, (byte)'y');
        Assert.Equal(3, _irq.RisingEdges);
    }

    [Fact]
    public void WriteThr_WithThriDisabled_RaisesNoInterrupt()
    {
        Write(0, (byte)'x');
        Assert.Empty(_irq.Changes);
        Assert.Equal(0x01, Read(2));
    }

    [Fact]
    public void Ier_StoresOnlyLowFourBits()
    {
        Write(1, 0xff);
        Assert.Equal(0x0f, Read(1));
    }

    [Fact]
    public void Input_SetsDataReadyAndReceiveInterrupt()
    {
        Write(1, 0x01);
        _uart.EnqueueInput("hi"u8);
        Assert.True(_irq.Level);
        Assert.Equal(0x61, Read(5));
        Assert.Equal(0x04, Read(2));
        Assert.Equal((byte)'h', Read(0));
        Assert.Equal((byte)'i', Read(0));
        Assert.Equal(0x60, Read(5));
        Assert.False(_irq.Level);
    }

    [Fact]
    public void Dlab_RedirectsDataAndIerToDivisorLatch()
    {
        Write(3, 0x80);
        Write(0, 0x01);
        Write(1, 0x02);
        Assert.Equal(0x01, Read(0));
        Assert.Equal(0x02, Read(1));
        Write(3, 0x03);
        Assert.Equal(0x00, Read(1));
        Assert.Empty(_output.ToArray());
    }

    [Fact]
    public void Fifo_ReportedInIirWhenEnabled()
    {
        Write(2, 0x01);
        Assert.Equal(0xc1, Read(2));
    }

    [Fact]
    public void Loopback_EchoesTransmitAndMapsModemLines()
    {
        Write(4, 0x10 | 0x0a);
        Assert.Equal(0x90, Read(6) & 0xf0);
        Write(0, 0x55);
        Assert.Empty(_output.ToArray());
        Assert.Equal(0x55, Read(0));
    }

    [Fact]
    public void Msr_WithoutLoopback_ReportsCarrierAndClearToSend()
    {
        Assert.Equal(0xb0, Read(6));
    }

    [Fact]
    public void OutOfRangeOffsetsAndEmptyAccesses_AreIgnored()
    {
        _uart.Write(8, [1]);
        _uart.Write(0, []);
        Span<byte> b = [0xaa];
        _uart.Read(1000, b);
        Assert.Equal(0, b[0]);
        Assert.Empty(_output.ToArray());
    }

    [Fact]
    public void SaveRestore_RegistersAndUnreadInput_CarryOverAndTheLineFollows()
    {
        Write(3, 0x80);
        Write(0, 0x01);
        Write(1, 0x00);
        Write(3, 0x03);
        Write(1, 0x01); // IER: received-data interrupt
        Write(7, 0x5a);
        _uart.EnqueueInput("hi"u8);
        var state = _uart.SaveState();

        var line = new RecordingLine();
        var copy = new Serial8250(new MemoryStream(), line);
        copy.RestoreState(state);
        Assert.True(line.Level); // unread input with RDI enabled: the restored UART raises its line at once
        Assert.Equal(state with { Input = Array.Empty<byte>() }, copy.SaveState() with { Input = Array.Empty<byte>() });
        Span<byte> b = stackalloc byte[1];
        copy.Read(7, b);
        Assert.Equal(0x5a, b[0]);
        copy.Read(0, b);
        Assert.Equal((byte)'h', b[0]);
        copy.Read(0, b);
        Assert.Equal((byte)'i', b[0]);
    }

    [Fact]
    public void RestoreState_BitsNoGuestCanSet_AreRefused()
    {
        var e = Assert.Throws<InvalidDataException>(() => _uart.RestoreState(_uart.SaveState() with { Ier = 0xff }));
        Assert.Contains("IER 0xff", e.Message);
    }
}
