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

    /// <summary>Waits until the VM reaches <paramref name="target"/>, fails, or 5 minutes have passed.</summary>
    public static Task<VmInfo> WaitForAsync(IVmGrain grain, VmState target, CancellationToken cancellationToken) =>
        VmPolling.PollAsync(() => grain.WaitForAsync(target, VmWaits.MaxPatience), target, cancellationToken);

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

}
