namespace Formation.Images;

/// <summary>Where a build session is.</summary>
[GenerateSerializer, Alias("formation.image-build-phase")]
public enum ImageBuildPhase
{
    /// <summary>Not opened (or forgotten: the node restarted).</summary>
    None = 0,

    /// <summary>Opened; receiving the context.</summary>
    Uploading = 1,

    /// <summary>The builder is running.</summary>
    Building = 2,

    /// <summary>Built and registered; see <see cref="ImageBuildUpdate.Manifest"/>.</summary>
    Succeeded = 3,

    /// <summary>Failed; see <see cref="ImageBuildUpdate.Failure"/>. Nothing was registered.</summary>
    Failed = 4,

    /// <summary>Cancelled (or abandoned); nothing was registered.</summary>
    Cancelled = 5,
}
