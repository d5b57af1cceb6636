namespace Formation.Silo.Hypervisors;

/// <summary>One running VM process of a driver.</summary>
public interface IVmProcess : IAsyncDisposable
{
    int Pid { get; }

    /// <summary>Completes when the process has ended.</summary>
    Task<VmExit> Exited { get; }

    /// <summary>True while the vCPUs are stopped.</summary>
    Task<bool> IsPausedAsync(CancellationToken cancellationToken);

    Task PauseAsync(CancellationToken cancellationToken);

    Task ResumeAsync(CancellationToken cancellationToken);

    /// <summary>Asks the guest to power off (Ctrl-Alt-Del) and waits; kills it at the deadline.</summary>
    Task<VmExit> ShutdownAsync(TimeSpan deadline, CancellationToken cancellationToken);

    /// <summary>Ends the process at once.</summary>
    Task<VmExit> KillAsync(CancellationToken cancellationToken);

    /// <summary>Sends bytes to the guest's serial console.</summary>
    Task WriteConsoleAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}
