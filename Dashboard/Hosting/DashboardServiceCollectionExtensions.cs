using Formation.Dashboard.Cluster;
using MudBlazor.Services;

namespace Formation.Dashboard.Hosting;

public static class DashboardServiceCollectionExtensions
{
    /// <summary>The cluster connection, the service the pages use, Blazor Server and MudBlazor.</summary>
    public static IServiceCollection AddFormationDashboard(this IServiceCollection services, DashboardOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<ClusterConnector>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterConnector>());
        services.AddSingleton<FormationService>();
        services.AddRazorComponents().AddInteractiveServerComponents(o => o.DisconnectedCircuitRetentionPeriod = TimeSpan.FromMinutes(1));
        services.AddMudServices();
        return services;
    }
}
