using Formation.Vms;

namespace Formation.Grains.Hosting;

/// <summary>A host whose VMs run a guest agent (the real drivers; not <c>sim</c>): exec sessions, held by the host.</summary>
public interface IVmExecHost
{
    /// <summary>Starts a command in the VM's guest; returns the session id (see <see cref="IVmExecGrain.StartAsync"/>).</summary>
    Task<string> StartExecAsync(string vmId, ExecRequest request, CancellationToken cancellationToken);

    /// <summary>Output since the last read; waits up to <paramref name="wait"/> when there is none.</summary>
    Task<ExecOutput> ReadExecAsync(string vmId, string session, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Stdin for the command; empty closes it.</summary>
    Task WriteExecAsync(string vmId, string session, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    Task ResizeExecAsync(string vmId, string session, int rows, int columns, CancellationToken cancellationToken);

    Task SignalExecAsync(string vmId, string session, int signal, CancellationToken cancellationToken);

    /// <summary>Ends the session and kills its command (idempotent).</summary>
    Task EndExecAsync(string vmId, string session, CancellationToken cancellationToken);
}
