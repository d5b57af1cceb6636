using Formation.Kvm.Native.Devices;
using Formation.Kvm.Native.Devices.Virtio;
using Formation.Kvm.Native.Kvm;
using Formation.Kvm.Native.Memory;
using Formation.Kvm.Native.Vcpu;
using Formation.Vmm.Protocol;
using Microsoft.Extensions.Logging;

namespace Formation.Kvm.Native.Machine;

/// <summary>
/// A running (or ready) VM: KVM handles, guest memory, devices and one thread per vCPU. Built by
/// <see cref="MachineBuilder"/>; controlled with Start, Pause, Resume, Shutdown and Kill; reports why
/// it stopped through <see cref="Exited"/>.
/// </summary>
public sealed partial class VirtualMachine : IControllableMachine, IVcpuSupervisor, IDisposable
{
    private readonly KvmSystem _kvm;
    private readonly KvmVm _vm;
    private readonly List<IDisposable> _owned;
    private readonly VcpuRunner[] _runners;
    private readonly bool[] _dead;
    private readonly long[] _lastExits;
    private readonly object _gate = new();
    private readonly TaskCompletionSource<ExitReason> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger;
    private MachineState _state = MachineState.Created;
    private bool _pauseRequested, _stopping;
    private int _parked;
    private long _startedAt;
    private Bindings.kvm_clock_data _pausedClock;
    private ExitReason? _exitReason;
    private string? _exitDetail;
    private Thread? _watchdog;
    private readonly IReadOnlyList<Bindings.kvm_cpuid_entry2[]> _cpuid;
    private readonly Bindings.kvm_clock_data? _restoredClock;

    /// <summary>Built from a snapshot: devices are told once the vCPUs run (<see cref="VirtioMmioTransport.Restored"/>).</summary>
    private readonly bool _restored;

    internal VirtualMachine(
        MachineConfig config, KvmSystem kvm, KvmVm vm, GuestMemory memory, IReadOnlyList<KvmVcpu> vcpus, MachineDevices devices,
        ConsoleHub console, List<IDisposable> owned, bool pvmCompat, string commandLine, ILogger logger,
        IReadOnlyList<Bindings.kvm_cpuid_entry2[]> cpuid, Bindings.kvm_clock_data? restoredClock, bool restored = false)
    {
        _restored = restored;
        _cpuid = cpuid;
        _restoredClock = restoredClock;
        Config = config;
        _kvm = kvm;
        _vm = vm;
        Memory = memory;
        PortBus = devices.PortBus;
        MmioBus = devices.MmioBus;
        Serial = devices.Serial;
        Keyboard = devices.Keyboard;
        Console = console;
        Virtio = devices.Virtio;
        _owned = owned;
        PvmCompat = pvmCompat;
        CommandLine = commandLine;
        _logger = logger;
        var dispatcher = new ExitDispatcher(devices.PortBus, devices.MmioBus);
        _runners = [.. vcpus.Select(v => new VcpuRunner(v, dispatcher, this, emulationFixups: pvmCompat))];
        _dead = new bool[_runners.Length];
        _lastExits = new long[_runners.Length];
    }

    public MachineConfig Config { get; }

    public GuestMemory Memory { get; }

    public DeviceBus PortBus { get; }

    public DeviceBus MmioBus { get; }

    public Serial8250 Serial { get; }

    public I8042Controller Keyboard { get; }

    public ConsoleHub Console { get; }

    public IReadOnlyList<VirtioMmioTransport> Virtio { get; }

    /// <summary>True when the nested-PVM compatibility mode is on (CPUID masks, cmdline additions, fix-ups).</summary>
    public bool PvmCompat { get; }

    /// <summary>The kernel command line as passed to the guest (with the VMM's additions).</summary>
    public string CommandLine { get; }

    public IReadOnlyList<VcpuRunner> Vcpus => _runners;

    /// <summary>Completes with the reason once the VM has stopped and every vCPU thread has ended.</summary>
    public Task<ExitReason> Exited => _exited.Task;

    public string? ExitDetail
    {
        get
        {
            lock (_gate)
            {
                return _exitDetail;
            }
        }
    }

    public MachineState State
    {
        get
        {
            lock (_gate)
            {
                return _state;
            }
        }
    }

    /// <summary>vCPU threads parked by a pause (they are outside KVM_RUN and wait in <see cref="IVcpuSupervisor.WaitUntilRunnable"/>).</summary>
    internal int ParkedVcpus
    {
        get
        {
            lock (_gate)
            {
                return _parked;
            }
        }
    }

    /// <summary>Starts the vCPU threads (boots the guest).</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_state != MachineState.Created)
            {
                throw new InvalidOperationException($"the VM is {_state.ToString().ToLowerInvariant()}, not created");
            }

            if (_restoredClock is { } kvmClock)
            {
                // A restored guest's kvmclock continues from the snapshot's value, as after a resume.
                _vm.SetClock(kvmClock);
            }

            _state = MachineState.Running;
            _startedAt = Environment.TickCount64;
        }

        LogStarting(_runners.Length, Config.MemoryMiB, PvmCompat, CommandLine);
        foreach (var runner in _runners)
        {
            runner.Start();
        }

        if (_restored)
        {
            foreach (var transport in Virtio)
            {
                transport.Restored();
            }
        }

        _watchdog = new Thread(Watchdog) { IsBackground = true, Name = "halt watchdog" };
        _watchdog.Start();
    }

    public void Dispose()
    {
        RequestStop(ExitReason.Killed, "disposed");
        foreach (var runner in _runners)
        {
            runner.Join(TimeSpan.FromSeconds(5));
        }

        foreach (var d in _owned.AsEnumerable().Reverse())
        {
            d.Dispose();
        }

        foreach (var runner in _runners)
        {
            runner.Vcpu.Dispose();
        }

        Console.Dispose();
        _vm.Dispose();
        Memory.Dispose();
        _kvm.Dispose();
    }

    bool IVcpuSupervisor.WaitUntilRunnable(VcpuRunner runner)
    {
        lock (_gate)
        {
            while (_pauseRequested && !_stopping)
            {
                _parked++;
                Monitor.PulseAll(_gate);
                Monitor.Wait(_gate);
                _parked--;
            }

            return !_stopping;
        }
    }

    void IVcpuSupervisor.OnTerminalExit(VcpuRunner runner, VcpuExitKind kind, string detail)
    {
        var reason = kind switch
        {
            VcpuExitKind.PowerOff or VcpuExitKind.Halt => ExitReason.PowerOff,
            VcpuExitKind.Reset => ExitReason.Reset,
            VcpuExitKind.TripleFault => ExitReason.TripleFault,
            VcpuExitKind.Crash => ExitReason.GuestCrash,
            VcpuExitKind.InternalError or VcpuExitKind.FailEntry => ExitReason.EmulationError,
            _ => ExitReason.VmmError,
        };
        RequestStop(reason, $"vCPU {runner.Id}: {detail}");
    }

    void IVcpuSupervisor.OnProbe(VcpuRunner runner, bool dead)
    {
        bool allDead;
        lock (_gate)
        {
            _dead[runner.Id] = dead;
            allDead = Array.TrueForAll(_dead, d => d);
        }

        if (allDead)
        {
            RequestStop(ExitReason.PowerOff, "all vCPUs halted with interrupts disabled (guest halt/poweroff)");
        }
    }
}
