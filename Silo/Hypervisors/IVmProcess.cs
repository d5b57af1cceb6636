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

    /// <summary>Opens a byte stream to the guest agent (formation-agent) of this VM.</summary>
    Task<Stream> OpenAgentAsync(CancellationToken cancellationToken);

    /// <summary>Writes the paused VM's memory, vCPU and device state into <paramref name="directory"/> (exists, empty). The caller pauses before and resumes or kills after.</summary>
    Task SnapshotAsync(string directory, CancellationToken cancellationToken);
}
