using Formation.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Formation.Silo.Metrics;

/// <summary>Adds the node's metrics: the collector and its history, and the Prometheus endpoint of a silo process.</summary>
public static class MetricsServiceCollectionExtensions
{
    /// <summary>The collector (unless <see cref="MetricsOptions.Collect"/> is off), its instruments and its history.</summary>
    public static IServiceCollection AddFormationMetrics(this IServiceCollection services)
    {
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section);
        services.AddSingleton<MetricsWarnings>();
        services.AddSingleton<MetricsCollector>();
        services.AddSingleton<IMetricsSource>(sp => sp.GetRequiredService<MetricsCollector>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<MetricsCollector>());
        return services;
    }

    /// <summary>The Prometheus scrape endpoint on loopback: <see cref="Url"/>.</summary>
    public static IServiceCollection AddFormationPrometheus(this IServiceCollection services, int port, string nodeId)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("formation-silo", serviceInstanceId: nodeId))
            .WithMetrics(metrics => metrics
            .AddMeter(MetricsInstruments.MeterName)
            .AddPrometheusHttpListener(o =>
            {
                o.Host = "127.0.0.1";
                o.Port = port;
            }));
        return services;
    }

    /// <summary>Where a silo serves its metrics, or empty when the endpoint is off (port 0).</summary>
    public static string Url(int port) => port > 0 ? $"http://127.0.0.1:{port}/metrics" : "";
}
