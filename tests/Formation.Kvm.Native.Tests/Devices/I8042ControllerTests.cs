using Formation.Kvm.Native.Devices;
using Formation.Kvm.Native.Tests.Support;

namespace Formation.Kvm.Native.Tests.Devices;

public sealed class I8042ControllerTests
{
    private readonly RecordingLine _irq = new();
    private int _resets;
    private readonly I8042Controller _kbd;

    public I8042ControllerTests() => _kbd = new I8042Controller(_irq, () => _resets++);

    private byte Status() => Read(4);

    private byte Read(ulong offset)
    {
        Span<byte> b = stackalloc byte[1];
        _kbd.Read(offset, b);
        return b[0];
    }

    [Fact]
    public void SelfTest_Returns0x55()
    {
        _kbd.Write(4, [0xaa]);
        Assert.Equal(1, Status() & 1);
        Assert.Equal(0x55, Read(0));
        Assert.Equal(0, Status() & 1);
    }

    [Fact]
    public void WriteCtr_ThenReadCtr_RoundTrips()
    {
        _kbd.Write(4, [0x60]);
        _kbd.Write(0, [0x45]);
        _kbd.Write(4, [0x20]);
        Assert.Equal(0x65, Read(0)); // AUX stays disabled (no AUX port)
    }

    [Fact]
    public void PulseResetCommand_ResetsCpu()
    {
        _kbd.Write(4, [0xfe]);
        Assert.Equal(1, _resets);
    }

    [Fact]
    public void OutputPortWriteWithResetBitLow_ResetsCpu()
    {
        _kbd.Write(4, [0xd1]);
        _kbd.Write(0, [0x02]);
        Assert.Equal(1, _resets);
    }

    [Fact]
    public void KeyboardReset_AcksAndPassesSelfTest()
    {
        _kbd.Write(0, [0xff]);
        Assert.Equal(0xfa, Read(0));
        Assert.Equal(0xaa, Read(0));
    }

    [Fact]
    public void CtrlAltDel_WithTranslation_QueuesSet1CodesAndRaisesIrq1()
    {
        _kbd.SendCtrlAltDel();
        Assert.True(_irq.Level);
        var codes = new List<byte>();
        while ((Status() & 1) != 0)
        {
            codes.Add(Read(0));
        }

        Assert.Equal([0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d], codes);
        Assert.False(_irq.Level);
    }

    [Fact]
    public void CtrlAltDel_EachByteRead_RaisesANewEdgeForTheNext()
    {
        _kbd.SendCtrlAltDel();
        for (var i = 0; i < 8; i++)
        {
            Read(0);
        }

        Assert.Equal(8, _irq.RisingEdges);
        Assert.False(_irq.Level);
    }

    [Fact]
    public void CtrlAltDel_WithoutTranslation_QueuesSet2Codes()
    {
        _kbd.Write(4, [0x60]);
        _kbd.Write(0, [0x01]);
        _kbd.SendCtrlAltDel();
        Assert.Equal(0x14, Read(0));
    }

    [Fact]
    public void Status_ReportsKeyboardUnlockedAndSystemFlag()
    {
        Assert.Equal(0x14, Status() & 0x14);
    }

    [Fact]
    public void AuxTest_ReportsNoAuxPort()
    {
        _kbd.Write(4, [0xa9]);
        Assert.NotEqual(0, Read(0));
    }
}
