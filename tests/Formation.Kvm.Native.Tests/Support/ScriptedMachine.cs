using Formation.Kvm.Native.Machine;

namespace Formation.Kvm.Native.Tests.Support;

/// <summary>
/// A stand-in for <see cref="VirtualMachine"/> behind the control socket, for tests of the socket protocol on machines
/// without /dev/kvm. It follows the same state rules (created → running ⇄ paused → stopped) and refuses what the real
/// machine refuses; <c>ControlServerTests</c> drives the real one.
/// </summary>
internal sealed class ScriptedMachine : IControllableMachine
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<ExitReason> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Func<ReadOnlyMemory<byte>, Task>? _console;

    public MachineState State { get; private set; } = MachineState.Created;

    public string? ExitDetail { get; private set; }

    public Task<ExitReason> Exited => _exited.Task;

    /// <summary>Bytes the console client typed.</summary>
    public List<byte> ConsoleInput { get; } = [];

    /// <summary>The deadline of the last graceful shutdown; the guest "stops" by <see cref="Stop"/>.</summary>
    public TimeSpan? ShutdownDeadline { get; private set; }

    public void Start() => Move(MachineState.Created, MachineState.Running, "the VM is {0}, not created");

    public void Pause() => Move(MachineState.Running, MachineState.Paused, "cannot pause: the VM is {0}");

    public void Resume() => Move(MachineState.Paused, MachineState.Running, "cannot resume: the VM is {0}");

    public Task<ExitReason> Shutdown(TimeSpan deadline)
    {
        ShutdownDeadline = deadline;
        return Exited;
    }

    public Task<ExitReason> Kill(string why)
    {
        Stop(ExitReason.Killed, why);
        return Exited;
    }

    /// <summary>The guest stops with <paramref name="reason"/>.</summary>
    public void Stop(ExitReason reason, string detail)
    {
        lock (_gate)
        {
            if (State == MachineState.Stopped)
            {
                return;
            }

            State = MachineState.Stopped;
            ExitDetail = detail;
        }

        _exited.TrySetResult(reason);
    }

    public MachineInfo Info()
    {
        var vcpu = new VcpuExitCounts(5, 4, 3, 2, 1, 6, 7, 8, 9);
        return new MachineInfo(State, 2, 64, 1.5, false, vcpu + vcpu, [vcpu, vcpu], new Dictionary<string, string> { ["serial"] = "0x3f8 irq 4" },
            Exited.IsCompletedSuccessfully ? Exited.Result : null, ExitDetail);
    }

    public IReadOnlyList<VcpuRegisters> Registers() => State == MachineState.Paused
        ? [new VcpuRegisters("0x1000", "0x8ff0", "0x2", "0x80050033", "0x9000", "0x10", "0")]
        : throw new InvalidOperationException("registers can only be read while the VM is paused");

    /// <summary>The directories snapshots were asked for.</summary>
    public List<string> Snapshots { get; } = [];

    public SnapshotResult Snapshot(string directory)
    {
        if (State != MachineState.Paused)
        {
            throw new InvalidOperationException($"cannot snapshot: the VM is {State.ToString().ToLowerInvariant()}; pause it first");
        }

        Snapshots.Add(directory);
        return new SnapshotResult(directory, 64 << 20, 3 << 20);
    }

    public IDisposable AttachConsole(Func<ReadOnlyMemory<byte>, Task> send)
    {
        _console = send;
        return new Detach(this);
    }

    public void SendConsoleInput(ReadOnlySpan<byte> bytes)
    {
        lock (ConsoleInput)
        {
            ConsoleInput.AddRange(bytes);
        }
    }

    /// <summary>The guest writes <paramref name="output"/> to its console.</summary>
    public Task WriteConsoleAsync(ReadOnlyMemory<byte> output) =>
        _console?.Invoke(output) ?? throw new InvalidOperationException("no console client is attached");

    public bool ConsoleAttached => _console is not null;

    private void Move(MachineState from, MachineState to, string refusal)
    {
        lock (_gate)
        {
            if (State != from)
            {
                throw new InvalidOperationException(string.Format(null, refusal, State.ToString().ToLowerInvariant()));
            }

            State = to;
        }
    }

    private sealed class Detach(ScriptedMachine machine) : IDisposable
    {
        public void Dispose() => machine._console = null;
    }
}
