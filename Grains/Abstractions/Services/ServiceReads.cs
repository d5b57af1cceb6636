using Formation.Errors;

namespace Formation.Services;

/// <summary>Reading services from silo-side loops (DNS, edge proxy, health checks): one service, or all of them.</summary>
public static class ServiceReads
{
    /// <summary>
    /// The grain of the service a user means by <paramref name="name"/> (the caller's own, or an admin's
    /// <c>ACCOUNT/NAME</c>): what every front end (CLI, local and HTTP API, dashboard) calls services through.
    /// </summary>
    public static async Task<IServiceGrain> ServiceAsync(this IGrainFactory grains, string name) =>
        grains.GetGrain<IServiceGrain>(await grains.GetGrain<IServiceCatalogGrain>(GrainKeys.Cluster).KeyOfAsync(name));

    /// <summary>The service named <paramref name="name"/> (its key, as listed), or null when it does not exist (deleted since it was listed).</summary>
    public static async Task<ServiceInfo?> FindAsync(this IGrainFactory grains, string name)
    {
        try
        {
            return await grains.GetGrain<IServiceGrain>(name).GetAsync();
        }
        catch (FormationException ex) when (ex.Kind == ErrorKind.NotFound)
        {
            return null;
        }
    }

    /// <summary>Every service the catalog lists that still exists.</summary>
    public static async Task<IReadOnlyList<ServiceInfo>> AllServicesAsync(this IGrainFactory grains)
    {
        var services = new List<ServiceInfo>();
        foreach (var summary in await grains.GetGrain<IServiceCatalogGrain>(GrainKeys.Cluster).ListAsync())
        {
            if (await grains.FindAsync(summary.Name) is { } service)
            {
                services.Add(service);
            }
        }

        return services;
    }
}
