using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Devices;

namespace Formation.Kvm.Native.Vcpu;

/// <summary>
/// Turns one KVM exit into device calls and a <see cref="VcpuExitKind"/>. Pure apart from the buses:
/// tests drive it with synthetic kvm_run contents. Everything read from kvm_run is bounds-checked.
/// </summary>
public sealed class ExitDispatcher(DeviceBus pio, DeviceBus mmio)
{
    public VcpuExitKind Dispatch(kvm_run run, ExitCounters counters)
    {
        switch (run.exit_reason)
        {
            case KvmExitReason.KVM_EXIT_IO:
                counters.CountIo(HandleIo(run));
                return VcpuExitKind.Continue;
            case KvmExitReason.KVM_EXIT_MMIO:
                counters.CountMmio(HandleMmio(run));
                return VcpuExitKind.Continue;
            case KvmExitReason.KVM_EXIT_HLT:
                counters.CountHlt();
                return VcpuExitKind.Halt;
            case KvmExitReason.KVM_EXIT_SHUTDOWN:
                counters.CountOther();
                return VcpuExitKind.TripleFault;
            case KvmExitReason.KVM_EXIT_INTR:
                counters.CountInterrupted();
                return VcpuExitKind.Interrupted;
            case KvmExitReason.KVM_EXIT_IRQ_WINDOW_OPEN:
                counters.CountOther();
                return VcpuExitKind.Continue;
            case KvmExitReason.KVM_EXIT_INTERNAL_ERROR:
                counters.CountInternalError();
                return VcpuExitKind.InternalError;
            case KvmExitReason.KVM_EXIT_FAIL_ENTRY:
                counters.CountOther();
                return VcpuExitKind.FailEntry;
            case KvmExitReason.KVM_EXIT_SYSTEM_EVENT:
                counters.CountOther();
                return run.system_event_type switch
                {
                    KvmConstants.KVM_SYSTEM_EVENT_SHUTDOWN => VcpuExitKind.PowerOff,
                    KvmConstants.KVM_SYSTEM_EVENT_RESET => VcpuExitKind.Reset,
                    KvmConstants.KVM_SYSTEM_EVENT_CRASH => VcpuExitKind.Crash,
                    _ => VcpuExitKind.Unknown,
                };
            default:
                counters.CountOther();
                return VcpuExitKind.Unknown;
        }
    }

    private bool HandleIo(kvm_run run)
    {
        int size = run.io_size;
        var data = run.IoData;
        if (size is not (1 or 2 or 4) || data.IsEmpty)
        {
            return false;
        }

        var port = run.io_port;
        var handled = true;
        for (var offset = 0; offset + size <= data.Length; offset += size)
        {
            var item = data.Slice(offset, size);
            handled &= run.io_direction == kvm_run.KVM_EXIT_IO_OUT ? pio.Write(port, item) : pio.Read(port, item);
        }

        return handled;
    }

    private bool HandleMmio(kvm_run run)
    {
        var length = run.mmio_len;
        if (length is 0 or > 8)
        {
            return false;
        }

        var data = run.mmio_data[..(int)length];
        return run.mmio_is_write ? mmio.Write(run.mmio_phys_addr, data) : mmio.Read(run.mmio_phys_addr, data);
    }
}
