using Formation.Silo.Images;
using Formation.Silo.Pack;
using Formation.Silo.Tests.Clusters;
using Microsoft.Extensions.DependencyInjection;

namespace Formation.Silo.Tests.Images;

/// <summary>The image tests share one 3-silo cluster (each node has its own data directory and image store).</summary>
[CollectionDefinition(Name)]
public sealed class ImageClusterCollection : ICollectionFixture<SimClusterFixture>
{
    public const string Name = "image-cluster";

    /// <summary>The image store of <paramref name="nodeId"/>'s silo.</summary>
    public static ImageStore StoreOf(SimClusterFixture fixture, string nodeId)
    {
        var silo = fixture.Cluster.GetActiveSilos().Single(s => SimClusterFixture.NodeIdOf(s.Name) == nodeId);
        return fixture.Cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<ImageStore>();
    }

    /// <summary>The image stream of <paramref name="nodeId"/>'s silo.</summary>
    public static ImageStreamServer StreamOf(SimClusterFixture fixture, string nodeId)
    {
        var silo = fixture.Cluster.GetActiveSilos().Single(s => SimClusterFixture.NodeIdOf(s.Name) == nodeId);
        return fixture.Cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<ImageStreamServer>();
    }

    /// <summary>Fetch scratch directories (<c>pack/tmp/*-fetch-*</c>) left in <paramref name="nodeId"/>'s data directory.</summary>
    public static string[] FetchScratchOf(SimClusterFixture fixture, string nodeId)
    {
        var silo = fixture.Cluster.GetActiveSilos().Single(s => SimClusterFixture.NodeIdOf(s.Name) == nodeId);
        var options = fixture.Cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<Microsoft.Extensions.Options.IOptions<PackOptions>>().Value;
        var tmp = Path.Combine(options.DataDirectory, "pack", "tmp");
        return Directory.Exists(tmp) ? Directory.GetDirectories(tmp, "*-fetch-*") : [];
    }
}
