namespace Formation.Images;

[GenerateSerializer]
[Alias("formation.image-build-state")]
public enum ImageBuildState
{
    /// <summary>No build of this image is known.</summary>
    Unknown = 0,
    Building = 1,
    Ready = 2,
    Failed = 3,
}
