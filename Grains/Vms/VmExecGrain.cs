using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Grains.Placement;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// Relays exec sessions between clients and the node's hypervisor host, which holds them (a session outlives any one
/// call, and this grain may be deactivated between calls). Stateless and reentrant like the console grain: a session's
/// reader and writer do not block each other, nor do sessions. Only callers that may act on the VM get through.
/// </summary>
[HostAffinityPlacement]
[Reentrant]
public sealed class VmExecGrain(IVmHost host) : Grain, IVmExecGrain
{
    private static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10); // well inside the 30 s response timeout

    private string VmId => GrainKeys.VmIdOf(this.GetPrimaryKeyString());

    private VmOwnerCheck? _owner;

    private Task RequireOwnerAsync() => (_owner ??= new VmOwnerCheck(GrainFactory, this.GetPrimaryKeyString())).RequireAsync();

    public async Task<string> StartAsync(ExecRequest request)
    {
        if (request.Problem() is { } problem)
        {
            throw FormationException.Invalid(problem);
        }

        await RequireOwnerAsync();
        return await Exec().StartExecAsync(VmId, request, CancellationToken.None);
    }

    public async Task<ExecOutput> ReadAsync(string session, TimeSpan wait)
    {
        await RequireOwnerAsync();
        return await Exec().ReadExecAsync(VmId, session, wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxWait ? MaxWait : wait, CancellationToken.None);
    }

    public async Task WriteAsync(string session, byte[] data)
    {
        await RequireOwnerAsync();
        await Exec().WriteExecAsync(VmId, session, data, CancellationToken.None);
    }

    public async Task ResizeAsync(string session, int rows, int columns)
    {
        await RequireOwnerAsync();
        await Exec().ResizeExecAsync(VmId, session, rows, columns, CancellationToken.None);
    }

    public async Task SignalAsync(string session, int signal)
    {
        if (signal is < 1 or > 64)
        {
            throw FormationException.Invalid($"signal {signal} is not a signal number (1-64).");
        }

        await RequireOwnerAsync();
        await Exec().SignalExecAsync(VmId, session, signal, CancellationToken.None);
    }

    public async Task EndAsync(string session)
    {
        await RequireOwnerAsync();
        await Exec().EndExecAsync(VmId, session, CancellationToken.None);
    }

    private IVmExecHost Exec() =>
        host.Exec ?? throw new FormationException(ErrorKind.Conflict,
            $"VM {VmId} runs on the '{host.DriverName}' driver, which has no guest agent to run commands.");
}
