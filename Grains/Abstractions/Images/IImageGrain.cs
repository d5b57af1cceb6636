namespace Formation.Images;

/// <summary>
/// An image by reference (key: <c>name[:tag]</c> or a digest, see <see cref="ImageReference"/>, optionally after
/// <c>ACCOUNT/</c>). Images belong to accounts (<see cref="ImageNames"/>): a key is read in the caller's account, and
/// another account's image, by name or digest, is to a member what a missing one is (admins may name it ACCOUNT/…).
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
    /// Removes the image's tags and files from every node that holds them (files another image still has stay) and the
    /// image from the catalog. Refused (Conflict) while a VM of its owner that is not deleted uses it or a build of it
    /// runs; NotFound when there is no such image for the caller.
    /// </summary>
    [Alias("delete")]
    [Mutating]
    Task<ImageDeletion> DeleteAsync();
}
