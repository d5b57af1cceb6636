using Microsoft.Extensions.DependencyInjection;

namespace Formation.Silo.Dns;

/// <summary>Adds form-dns: the table (which other feeders may also write), the fabric feeder and the agent.</summary>
public static class DnsServiceCollectionExtensions
{
    public static IServiceCollection AddFormationDns(this IServiceCollection services)
    {
        services.AddOptions<DnsOptions>().BindConfiguration(DnsOptions.Section);
        services.AddSingleton<DnsTable>();
        services.AddSingleton<GuestSources>();
        services.AddSingleton<FabricFeeder>();
        services.AddSingleton<DnsAgent>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DnsAgent>());
        return services;
    }
}
