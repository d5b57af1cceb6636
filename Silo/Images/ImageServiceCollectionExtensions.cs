using Formation.Grains.Images;
using Formation.Silo.Pack;
using Microsoft.Extensions.DependencyInjection;

// Not Formation.Silo.Images: inside Formation.Silo, "Images.X" must keep meaning Formation.Images (the contracts).
namespace Formation.Silo.Images;

/// <summary>Registers the node's image services: builder and store (form-pack) under the data directory, and the grains' host side.</summary>
public static class ImageServiceCollectionExtensions
{
    public static IServiceCollection AddFormationImages(this IServiceCollection services, string dataDirectory)
    {
        services.AddFormationPack(o => o.DataDirectory = dataDirectory);
        services.AddOptions<ImageBuildOptions>().BindConfiguration(ImageBuildOptions.SectionName);
        services.AddSingleton<IImageHost, ImageHost>();
        return services;
    }
}
