using Formation.Kvm.Native.Bindings;
using Formation.Kvm.Native.Interop;
using Formation.Kvm.Native.Kvm;

namespace Formation.Kvm.Native.Vcpu;

/// <summary>
/// The thread of one vCPU: KVM_RUN, dispatch the exit, repeat. It is kicked out of KVM_RUN with
/// immediate_exit + SIGUSR1 (blocked outside KVM_RUN, so no handler ever runs) to pause, stop or probe.
/// </summary>
public sealed class VcpuRunner
{
    private readonly KvmVcpu _vcpu;
    private readonly ExitDispatcher _dispatcher;
    private readonly IVcpuSupervisor _supervisor;
    private readonly bool _emulationFixups;
    private readonly Thread _thread;
    private volatile int _tid;
    private volatile bool _probeRequested;

    public VcpuRunner(KvmVcpu vcpu, ExitDispatcher dispatcher, IVcpuSupervisor supervisor, bool emulationFixups)
    {
        _vcpu = vcpu;
        _dispatcher = dispatcher;
        _supervisor = supervisor;
        _emulationFixups = emulationFixups;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"vcpu{vcpu.Id}" };
    }

    public KvmVcpu Vcpu => _vcpu;

    public uint Id => _vcpu.Id;

    public ExitCounters Counters { get; } = new();

    /// <summary>Exits caused by the guest (not by kicks): unchanged while the vCPU sits in the kernel.</summary>
    public long TotalExits => Counters.Io + Counters.Mmio + Counters.Hlt + Counters.InternalError + Counters.Other;

    public bool IsAlive => _thread.IsAlive;

    /// <summary>Last emulation failure or fix-up description, for diagnostics.</summary>
    public string? LastEmulationEvent { get; private set; }

    public void Start() => _thread.Start();

    public bool Join(TimeSpan timeout) => !_thread.IsAlive || _thread.Join(timeout);

    /// <summary>Makes the thread leave KVM_RUN (or skip the next one) as soon as possible.</summary>
    public void Kick()
    {
        var run = _vcpu.RunData;
        run.immediate_exit = 1;
        var tid = _tid;
        if (tid > 0)
        {
            SignalSet.TryKickThread(tid, SignalSet.KickSignal);
        }
    }

    /// <summary>Asks the thread to report whether the vCPU is dead-halted (answer via <see cref="IVcpuSupervisor.OnProbe"/>).</summary>
    public void RequestProbe()
    {
        _probeRequested = true;
        Kick();
    }

    /// <summary>
    /// KVM finishes an exit's I/O (an OUT's instruction, an MMIO or IN read's data into its register) only on the next
    /// KVM_RUN. For a parked vCPU whose state is about to be saved, that run is made here with immediate_exit set: KVM
    /// completes the I/O and returns EINTR without entering the guest, so the saved registers are final and the restored
    /// guest does not repeat the access. Only while the vCPU's thread is parked.
    /// </summary>
    public void CompletePendingIo()
    {
        var run = _vcpu.RunData;
        run.immediate_exit = 1;
        var r = _vcpu.Run();
        if (r < 0 && r is not (-Errno.EINTR or -Errno.EAGAIN))
        {
            throw new KvmException("KVM_RUN (completing I/O)", -r);
        }
    }

    private void Loop()
    {
        try
        {
            _tid = Libc.gettid();
            var mask = SignalSet.BlockInCurrentThread(SignalSet.KickSignal);
            _vcpu.SetSignalMask(mask & ~(1UL << (SignalSet.KickSignal - 1)));
            var run = _vcpu.RunData;
            while (_supervisor.WaitUntilRunnable(this))
            {
                run.immediate_exit = 0;
                if (_probeRequested)
                {
                    Probe();
                    continue;
                }

                var r = _vcpu.Run();
                if (r < 0)
                {
                    if (r is -Errno.EINTR or -Errno.EAGAIN)
                    {
                        SignalSet.ConsumePending(SignalSet.KickSignal);
                        Counters.CountInterrupted();
                        continue;
                    }

                    _supervisor.OnTerminalExit(this, VcpuExitKind.Unknown, $"KVM_RUN failed: {Errno.Describe(-r)}");
                    return;
                }

                var kind = _dispatcher.Dispatch(run, Counters);
                switch (kind)
                {
                    case VcpuExitKind.Continue:
                    case VcpuExitKind.Interrupted:
                        continue;
                    case VcpuExitKind.InternalError when _emulationFixups && TryFixup(run):
                        continue;
                    case VcpuExitKind.InternalError:
                        _supervisor.OnTerminalExit(this, kind, DescribeInternalError(run));
                        return;
                    case VcpuExitKind.FailEntry:
                        _supervisor.OnTerminalExit(this, kind,
                            $"KVM_EXIT_FAIL_ENTRY, hardware reason 0x{run.fail_entry_hardware_entry_failure_reason:x}");
                        return;
                    case VcpuExitKind.Unknown:
                        _supervisor.OnTerminalExit(this, kind, $"unhandled exit reason {(uint)run.exit_reason}");
                        return;
                    default:
                        _supervisor.OnTerminalExit(this, kind, kind.ToString());
                        return;
                }
            }
        }
        catch (Exception e)
        {
            _supervisor.OnTerminalExit(this, VcpuExitKind.Unknown, $"vCPU {Id} thread failed: {e.Message}");
        }
    }

    private void Probe()
    {
        _probeRequested = false;
        var mp = _vcpu.GetMpState();
        var dead = mp is KvmConstants.KVM_MP_STATE_UNINITIALIZED or KvmConstants.KVM_MP_STATE_INIT_RECEIVED
                   || (mp == KvmConstants.KVM_MP_STATE_HALTED && (_vcpu.GetRegs().rflags & X86Constants.X86_EFLAGS_IF) == 0);
        _supervisor.OnProbe(this, dead);
    }

    private bool TryFixup(kvm_run run)
    {
        var insn = EmulationFixups.InstructionBytes(run);
        if (insn.IsEmpty)
        {
            return false;
        }

        var regs = _vcpu.GetRegs();
        var rip = regs.rip;
        var fix = EmulationFixups.TryApply(insn, ref regs);
        if (fix == EmulationFixups.Fix.None)
        {
            return false;
        }

        _vcpu.SetRegs(regs);
        if (fix == EmulationFixups.Fix.InjectBreakpoint)
        {
            var events = _vcpu.GetVcpuEvents();
            events.exception_injected = 1;
            events.exception_nr = 3;
            events.exception_has_error_code = 0;
            events.exception_pending = 0;
            _vcpu.SetVcpuEvents(events);
        }

        Counters.CountFixup();
        LastEmulationEvent = $"fixed {fix} at 0x{rip:x} ({Convert.ToHexString(insn)})";
        return true;
    }

    private string DescribeInternalError(kvm_run run)
    {
        var insn = EmulationFixups.InstructionBytes(run);
        var rip = 0UL;
        try
        {
            rip = _vcpu.GetRegs().rip;
        }
        catch (KvmException)
        {
        }

        LastEmulationEvent = insn.IsEmpty
            ? $"KVM_EXIT_INTERNAL_ERROR suberror {run.internal_suberror} at RIP 0x{rip:x}"
            : $"KVM could not emulate the instruction at RIP 0x{rip:x} (bytes {Convert.ToHexString(insn)})";
        return LastEmulationEvent;
    }
}
