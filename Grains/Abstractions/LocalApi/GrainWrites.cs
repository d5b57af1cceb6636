using Formation.Vms;

namespace Formation.LocalApi;

/// <summary>The writes, answered by the grains.</summary>
public sealed class GrainWrites(IGrainFactory grains) : IFormationWrites
{
    public Task<VmInfo> CreateVmAsync(VmSpec spec, CancellationToken cancellationToken) =>
        grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).CreateVmAsync(spec);

    public async Task<VmInfo> DeleteVmAsync(string idOrName, CancellationToken cancellationToken)
    {
        var vmRef = await grains.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(idOrName);
        return await grains.GetGrain<IVmGrain>(vmRef.GrainKey).DeleteAsync();
    }
}
