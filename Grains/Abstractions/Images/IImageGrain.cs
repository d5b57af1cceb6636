namespace Formation.Images;

/// <summary>An image by reference (name[:tag] or digest). Holds build status; the builder fills it in.</summary>
[Alias("formation.image")]
public interface IImageGrain : IGrainWithStringKey
{
    /// <summary>The image's status; State is Unknown for an image never built.</summary>
    [Alias("status")]
    Task<ImageStatus> GetStatusAsync();
}
