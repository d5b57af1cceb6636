using Formation.Grains.Metrics;
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

    /// <summary>
    /// The exporters of the node's and the fabric's meters (and Orleans'): the Prometheus scrape endpoint on loopback
    /// (<see cref="Url"/>; none when <paramref name="prometheusPort"/> is 0) and, when <paramref name="otlp"/> is given, an
    /// OTLP exporter pushing every <paramref name="interval"/>.
    /// </summary>
    public static IServiceCollection AddFormationTelemetry(this IServiceCollection services, string nodeId, int prometheusPort, OtlpTarget? otlp,
        TimeSpan interval)
    {
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("formation-silo", serviceInstanceId: nodeId))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MetricsInstruments.MeterName, FabricMeter.Name, FabricMeter.OrleansName);
                if (prometheusPort > 0)
                {
                    metrics.AddPrometheusHttpListener(o =>
                    {
                        o.Host = "127.0.0.1";
                        o.Port = prometheusPort;
                    });
                }

                if (otlp is not null)
                {
                    metrics.AddOtlpExporter((exporter, reader) =>
                    {
                        exporter.Endpoint = otlp.Endpoint;
                        exporter.Protocol = otlp.Protocol;
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)Math.Max(100, interval.TotalMilliseconds);
                    });
                }
            });
        return services;
    }

    /// <summary>Where a silo serves its metrics, or empty when the endpoint is off (port 0).</summary>
    public static string Url(int port) => port > 0 ? $"http://127.0.0.1:{port}/metrics" : "";
}
