using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Devices;
using Formation.Kvm.Native.Tests.Support;
using Formation.Kvm.Native.Vcpu;

namespace Formation.Kvm.Native.Tests.Vcpu;

/// <summary>Exit dispatch with synthetic kvm_run contents (no /dev/kvm).</summary>
public sealed class ExitDispatcherTests
{
    private readonly byte[] _page = GC.AllocateArray<byte>(4096, pinned: true);
    private readonly kvm_run _run;
    private readonly DeviceBus _pio = new("pio");
    private readonly DeviceBus _mmio = new("mmio");
    private readonly MemoryStream _console = new();
    private readonly ExitDispatcher _dispatcher;
    private readonly ExitCounters _counters = new();

    public ExitDispatcherTests()
    {
        _run = kvm_run.OverPinnedArray(_page);
        _pio.Insert(0x3f8, 8, new Serial8250(_console, new RecordingLine()));
        _dispatcher = new ExitDispatcher(_pio, _mmio);
    }

    private void Exit(KvmExitReason reason) => _run.Set(kvm_run.exit_reason_offset, (uint)reason);

    private void Io(byte direction, byte size, ushort port, uint count, ulong dataOffset)
    {
        Exit(KvmExitReason.KVM_EXIT_IO);
        _run.Set(kvm_run.io_direction_offset, direction);
        _run.Set(kvm_run.io_size_offset, size);
        _run.Set(kvm_run.io_port_offset, port);
        _run.Set(kvm_run.io_count_offset, count);
        _run.Set(kvm_run.io_data_offset_offset, dataOffset);
    }

    [Fact]
    public void IoOut_StringOfBytes_ReachesSerial()
    {
        "hey"u8.CopyTo(_page.AsSpan(1024));
        Io(kvm_run.KVM_EXIT_IO_OUT, 1, 0x3f8, 3, 1024);
        Assert.Equal(VcpuExitKind.Continue, _dispatcher.Dispatch(_run, _counters));
        Assert.Equal("hey"u8.ToArray(), _console.ToArray());
        Assert.Equal(1, _counters.Io);
    }

    [Fact]
    public void IoIn_UnknownPort_ReadsAllOnesAndCountsUnhandled()
    {
        Io(kvm_run.KVM_EXIT_IO_IN, 4, 0xcfc, 1, 2048);
        _dispatcher.Dispatch(_run, _counters);
        Assert.Equal(0xffffffffu, BitConverter.ToUInt32(_page, 2048));
        Assert.Equal(1, _counters.UnhandledIo);
    }

    [Fact]
    public void IoWithDataOutsideMapping_IsIgnored()
    {
        Io(kvm_run.KVM_EXIT_IO_OUT, 1, 0x3f8, 100, 4090);
        Assert.Equal(VcpuExitKind.Continue, _dispatcher.Dispatch(_run, _counters));
        Assert.Empty(_console.ToArray());
        Assert.Equal(1, _counters.UnhandledIo);
    }

    [Fact]
    public void Mmio_BadLength_IsIgnored()
    {
        Exit(KvmExitReason.KVM_EXIT_MMIO);
        _run.Set(kvm_run.mmio_len_offset, 100u);
        Assert.Equal(VcpuExitKind.Continue, _dispatcher.Dispatch(_run, _counters));
        Assert.Equal(1, _counters.UnhandledMmio);
    }

    [Theory]
    [InlineData(KvmExitReason.KVM_EXIT_HLT, VcpuExitKind.Halt)]
    [InlineData(KvmExitReason.KVM_EXIT_SHUTDOWN, VcpuExitKind.TripleFault)]
    [InlineData(KvmExitReason.KVM_EXIT_INTERNAL_ERROR, VcpuExitKind.InternalError)]
    [InlineData(KvmExitReason.KVM_EXIT_FAIL_ENTRY, VcpuExitKind.FailEntry)]
    [InlineData(KvmExitReason.KVM_EXIT_INTR, VcpuExitKind.Interrupted)]
    [InlineData((KvmExitReason)999, VcpuExitKind.Unknown)]
    public void TerminalAndOtherExits_MapToKinds(KvmExitReason reason, VcpuExitKind expected)
    {
        Exit(reason);
        Assert.Equal(expected, _dispatcher.Dispatch(_run, _counters));
    }

    [Theory]
    [InlineData(1u, VcpuExitKind.PowerOff)]
    [InlineData(2u, VcpuExitKind.Reset)]
    [InlineData(3u, VcpuExitKind.Crash)]
    public void SystemEvents_MapToKinds(uint type, VcpuExitKind expected)
    {
        Exit(KvmExitReason.KVM_EXIT_SYSTEM_EVENT);
        _run.Set(kvm_run.system_event_type_offset, type);
        Assert.Equal(expected, _dispatcher.Dispatch(_run, _counters));
    }
}
