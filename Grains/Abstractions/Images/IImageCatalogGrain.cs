using Formation.Identity;

namespace Formation.Images;

/// <summary>
/// The cluster's list of images (key: <see cref="GrainKeys.Cluster"/>), one row per image of each account, kept current
/// by the image grains. Resolves digests to images.
/// </summary>
[Alias("formation.image-catalog")]
public interface IImageCatalogGrain : IGrainWithStringKey
{
    /// <summary>The images the caller may see (a member's own, every account's for admins), ordered by reference and account.</summary>
    [Alias("list")]
    [NonMutating]
    Task<IReadOnlyList<ImageStatus>> ListAsync();

    /// <summary>Images of every account whose current digest starts with <paramref name="hexPrefix"/> (lower-case hex), ordered.</summary>
    [Alias("resolve-digest")]
    [NonMutating]
    [NodeOnly]
    Task<IReadOnlyList<ImageStatus>> FindByDigestAsync(string hexPrefix);

    /// <summary>Records an image's status (called by its image grain).</summary>
    [Alias("update")]
    [Mutating]
    [NodeOnly]
    Task UpdateAsync(ImageStatus status);

    /// <summary>Forgets an image by its record key (called by its image grain when it is deleted).</summary>
    [Alias("remove")]
    [Mutating]
    [NodeOnly]
    Task RemoveAsync(string recordKey);
}
