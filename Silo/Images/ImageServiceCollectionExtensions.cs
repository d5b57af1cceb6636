using Formation.Grains.Images;
using Formation.Identity;
using Formation.Silo.Pack;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

// Not Formation.Silo.Images: inside Formation.Silo, "Images.X" must keep meaning Formation.Images (the contracts).
namespace Formation.Silo.Images;

/// <summary>
/// Registers the node's image services: builder and store (form-pack) under the data directory, the image stream on
/// the node's advertised address (<paramref name="siloEndpoint"/>'s host), and the grains' host side. The stream needs
/// the node's <see cref="ClusterCredential"/> registered (real silos); without one, images travel in grain calls.
/// </summary>
public static class ImageServiceCollectionExtensions
{
    public static IServiceCollection AddFormationImages(this IServiceCollection services, string dataDirectory, string nodeId, string siloEndpoint)
    {
        services.AddFormationPack(o => o.DataDirectory = dataDirectory);
        services.AddOptions<ImageBuildOptions>().BindConfiguration(ImageBuildOptions.SectionName);
        services.AddOptions<ImageStreamOptions>().BindConfiguration(ImageStreamOptions.Section);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new ImageStreamTickets(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ImageStreamOptions>>().Value;
            var host = siloEndpoint[..Math.Max(0, siloEndpoint.LastIndexOf(':'))].Trim('[', ']');
            return new ImageStreamServer(sp.GetRequiredService<ImageStore>(), sp.GetRequiredService<ImageStreamTickets>(),
                new ImageStreamSettings(nodeId, host, options.Port, options.Enabled), sp.GetService<ClusterCredential>(),
                sp.GetRequiredService<ILogger<ImageStreamServer>>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<ImageStreamServer>());
        services.AddSingleton<IImageHost>(sp => new ImageHost(sp.GetRequiredService<IOptions<PackOptions>>(), sp.GetRequiredService<ImageBuilder>(),
            sp.GetRequiredService<ImageStore>(), sp.GetRequiredService<ImageStreamServer>(), sp.GetService<ClusterCredential>()));
        return services;
    }
}
