using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Formation.Silo.Dns;

/// <summary>Adds form-dns: the table, the fabric feeder (VMs, nodes), the service feeder, the agent, and the public (split-horizon) listener's agent.</summary>
public static class DnsServiceCollectionExtensions
{
    public static IServiceCollection AddFormationDns(this IServiceCollection services)
    {
        services.AddOptions<DnsOptions>().BindConfiguration(DnsOptions.Section);
        services.AddSingleton<DnsTable>();
        services.AddSingleton<GuestSources>();
        services.AddSingleton<FabricFeeder>();
        services.AddHostedService<ServiceFeeder>();
        services.AddSingleton<DnsAgent>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<DnsAgent>());
        services.AddSingleton<PublicDnsAgent>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PublicDnsAgent>());
        return services;
    }
}
