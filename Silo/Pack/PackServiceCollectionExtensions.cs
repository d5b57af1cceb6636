using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Formation.Silo.Pack;

/// <summary>Registers the image builder and store (options from the <c>Formation:Pack</c> section; the benchmark-only switch is refused).</summary>
public static class PackServiceCollectionExtensions
{
    public static IServiceCollection AddFormationPack(this IServiceCollection services, Action<PackOptions>? configure = null)
    {
        var options = services.AddOptions<PackOptions>().BindConfiguration(PackOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        // The silo builds other people's Formfiles: the benchmark switch is never honoured here, whatever the environment.
        options.Validate(o => !o.BenchmarkWithoutSandbox,
            "Formation:Pack:BenchmarkWithoutSandbox is for benchmarks only; the silo never builds without the sandbox (remove the setting)");

        services.AddSingleton(sp => new ImageStore(sp.GetRequiredService<IOptions<PackOptions>>().Value));
        services.AddSingleton(sp => new ImageBuilder(
            sp.GetRequiredService<IOptions<PackOptions>>().Value,
            sp.GetRequiredService<ImageStore>(),
            sp.GetService<ILogger<ImageBuilder>>(),
            sp.GetService<BuildMetrics>()));
        return services;
    }
}
