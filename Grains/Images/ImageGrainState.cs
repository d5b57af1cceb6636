using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>What an image grain persists: the status, the current version's manifest, the running build, old versions.</summary>
[GenerateSerializer]
[Alias("formation.image-grain-state")]
public sealed class ImageGrainState
{
    /// <summary>Null for an image never built (or deleted).</summary>
    [Id(0)] public ImageStatus? Status { get; set; }

    /// <summary>The current (Ready) version; null until a build succeeded.</summary>
    [Id(1)] public ImageManifest? Manifest { get; set; }

    /// <summary>Key of the build session building a new version, or null.</summary>
    [Id(2)] public string? BuildSession { get; set; }

    /// <summary>
    /// Older versions still on nodes (a rebuild does not remove them: VMs may still boot from them); removed with the image.
    /// </summary>
    [Id(3)] public List<RetiredImage> Retired { get; set; } = [];
}
