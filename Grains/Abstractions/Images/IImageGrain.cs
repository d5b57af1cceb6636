namespace Formation.Images;

/// <summary>
/// An image by reference (key: <c>name[:tag]</c> or a digest, see <see cref="ImageReference"/>). The grain of the
/// canonical <c>name:tag</c> holds the record; other keys (<c>name</c>, <c>sha256:…</c>, a digest prefix) resolve to it.
/// Builds fill it in (<see cref="IImageBuildGrain"/>).
/// </summary>
[Alias("formation.image")]
public interface IImageGrain : IGrainWithStringKey
{
    /// <summary>The image's status; State is Unknown for an image never built (or deleted).</summary>
    [Alias("status")]
    [NonMutating]
    Task<ImageStatus> GetStatusAsync();

    /// <summary>The manifest of the image's current (Ready) version, or null when there is none.</summary>
    [Alias("manifest")]
    [NonMutating]
    Task<ImageManifest?> GetManifestAsync();

    /// <summary>
    /// Removes the image's files from every node that holds them and the image from the catalog. Refused (Conflict)
    /// while a VM that is not deleted uses it or a build of it runs; NotFound when there is no such image.
    /// </summary>
    [Alias("delete")]
    [Mutating]
    Task<ImageDeletion> DeleteAsync();
}
