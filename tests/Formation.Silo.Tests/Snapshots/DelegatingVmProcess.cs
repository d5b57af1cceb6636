using Formation.Silo.Hypervisors;

namespace Formation.Silo.Tests.Snapshots;

/// <summary>A real VM process passed through, so a test can make one step of it fail the way the host could.</summary>
public abstract class DelegatingVmProcess(IVmProcess inner) : IVmProcess
{
    protected IVmProcess Inner => inner;

    public int Pid => inner.Pid;

    public Task<VmExit> Exited => inner.Exited;

    public Task<bool> IsPausedAsync(CancellationToken cancellationToken) => inner.IsPausedAsync(cancellationToken);

    public Task PauseAsync(CancellationToken cancellationToken) => inner.PauseAsync(cancellationToken);

    public Task ResumeAsync(CancellationToken cancellationToken) => inner.ResumeAsync(cancellationToken);

    public Task<VmExit> ShutdownAsync(TimeSpan deadline, CancellationToken cancellationToken) => inner.ShutdownAsync(deadline, cancellationToken);

    public Task<VmExit> KillAsync(CancellationToken cancellationToken) => inner.KillAsync(cancellationToken);

    public Task WriteConsoleAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => inner.WriteConsoleAsync(data, cancellationToken);

    public Task<Stream> OpenAgentAsync(CancellationToken cancellationToken) => inner.OpenAgentAsync(cancellationToken);

    public virtual Task SnapshotAsync(string directory, CancellationToken cancellationToken) => inner.SnapshotAsync(directory, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
