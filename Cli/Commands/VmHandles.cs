using Formation.Errors;
using Formation.LocalApi;
using Formation.Vms;

namespace Formation.Cli.Commands;

/// <summary>Finding a VM's grains by id or name, and waiting for a VM to reach a state.</summary>
public static class VmHandles
{
    public static async Task<IVmGrain> ResolveAsync(IClusterClient client, string idOrName)
    {
        var vmRef = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(idOrName);
        return client.GetGrain<IVmGrain>(vmRef.GrainKey);
    }

    /// <summary>Polls the VM until it reaches <paramref name="target"/>, fails, or the patience (default 5 minutes) runs out.</summary>
    public static Task<VmInfo> WaitForAsync(IVmGrain grain, VmState target, CancellationToken cancellationToken, TimeSpan? patience = null) =>
        PollAsync(() => grain.GetAsync(), target, cancellationToken, patience);

    public static async Task<IVmConsoleGrain> ResolveConsoleAsync(IClusterClient client, string idOrName)
    {
        var vmRef = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(idOrName);
        return client.GetGrain<IVmConsoleGrain>(vmRef.GrainKey);
    }

    public static async Task<IVmExecGrain> ResolveExecAsync(IClusterClient client, string idOrName)
    {
        var vmRef = await client.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(idOrName);
        return client.GetGrain<IVmExecGrain>(vmRef.GrainKey);
    }

    /// <summary>Polls the VM through the front door (local API or gateway) until it reaches <paramref name="target"/> or fails.</summary>
    public static Task<VmInfo> WaitForAsync(IFormationReads reads, string vmId, VmState target, CancellationToken cancellationToken) =>
        PollAsync(async () => (await reads.GetVmAsync(vmId, cancellationToken)).Vm, target, cancellationToken, null);

    private static async Task<VmInfo> PollAsync(Func<Task<VmInfo>> get, VmState target, CancellationToken cancellationToken, TimeSpan? patience)
    {
        var wait = patience ?? TimeSpan.FromMinutes(5);
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            var info = await get();
            if (info.State == target || info.State == VmState.Failed)
            {
                return info;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new FormationException(ErrorKind.HostFailure,
                    $"VM {info.Name} did not reach {target} within {wait.TotalMinutes:0} minutes (it is {info.State}: {info.Reason}).");
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
