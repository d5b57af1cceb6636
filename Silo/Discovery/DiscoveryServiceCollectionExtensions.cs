using Formation.Discovery;
using Microsoft.Extensions.DependencyInjection;

namespace Formation.Silo.Discovery;

/// <summary>Adds the silo's libp2p discovery.</summary>
public static class DiscoveryServiceCollectionExtensions
{
    public static IServiceCollection AddFormationDiscovery(this IServiceCollection services, DiscoverySettings settings)
    {
        services.AddSingleton(settings);
        services.AddSingleton<DiscoveryService>();
        services.AddSingleton<IPeerDirectory>(sp => sp.GetRequiredService<DiscoveryService>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DiscoveryService>());
        return services;
    }
}
