using Formation.Vmm.Protocol;

namespace Formation.Kvm.Native.Machine;

/// <summary>
/// What the control socket (<see cref="ControlServer"/>) drives: a <see cref="VirtualMachine"/>. An interface so the
/// socket protocol itself can be tested on machines without /dev/kvm.
/// </summary>
public interface IControllableMachine
{
    MachineState State { get; }

    string? ExitDetail { get; }

    /// <summary>Completes with the reason once the VM has stopped.</summary>
    Task<ExitReason> Exited { get; }

    void Start();

    void Pause();

    void Resume();

    Task<ExitReason> Shutdown(TimeSpan deadline);

    Task<ExitReason> Kill(string why);

    MachineInfo Info();

    IReadOnlyList<VcpuRegisters> Registers();

    /// <summary>Writes the paused VM's memory, vCPU and device state into an existing, empty directory.</summary>
    SnapshotResult Snapshot(string directory);

    /// <summary>Sends console output to <paramref name="send"/> (the recent tail first) until the result is disposed.</summary>
    IDisposable AttachConsole(Func<ReadOnlyMemory<byte>, Task> send);

    /// <summary>Bytes typed on the console (the UART's receive FIFO).</summary>
    void SendConsoleInput(ReadOnlySpan<byte> bytes);
}
