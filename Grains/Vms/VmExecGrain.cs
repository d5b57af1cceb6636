using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Grains.Placement;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// Relays exec sessions between clients and the node's hypervisor host, which holds them (a session outlives any one
/// call, and this grain may be deactivated between calls). Stateless and reentrant like the console grain: a session's
/// reader and writer do not block each other, nor do sessions.
/// </summary>
[HostAffinityPlacement]
[Reentrant]
public sealed class VmExecGrain(IVmHost host) : Grain, IVmExecGrain
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10); // well inside the 30 s response timeout

    private string VmId => GrainKeys.VmIdOf(this.GetPrimaryKeyString());

    public Task<string> StartAsync(ExecRequest request)
    {
        if (request.Problem() is { } problem)
        {
            throw FormationException.Invalid(problem);
        }

        return Exec().StartExecAsync(VmId, request, CancellationToken.None);
    }

    public Task<ExecOutput> ReadAsync(string session, TimeSpan wait) =>
        Exec().ReadExecAsync(VmId, session, wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxWait ? MaxWait : wait, CancellationToken.None);

    public Task WriteAsync(string session, byte[] data) => Exec().WriteExecAsync(VmId, session, data, CancellationToken.None);

    public Task ResizeAsync(string session, int rows, int columns) => Exec().ResizeExecAsync(VmId, session, rows, columns, CancellationToken.None);

    public Task SignalAsync(string session, int signal) =>
        signal is < 1 or > 64
            ? throw FormationException.Invalid($"signal {signal} is not a signal number (1-64).")
            : Exec().SignalExecAsync(VmId, session, signal, CancellationToken.None);

    public Task EndAsync(string session) => Exec().EndExecAsync(VmId, session, CancellationToken.None);

    private IVmExecHost Exec() =>
        host.Exec ?? throw new FormationException(ErrorKind.Conflict,
            $"VM {VmId} runs on the '{host.DriverName}' driver, which has no guest agent to run commands.");
}
