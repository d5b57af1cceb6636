using Formation.Identity;

namespace Formation.Images;

/// <summary>
/// The cluster's list of images (key: <see cref="GrainKeys.Cluster"/>), one row per reference, kept current by the
/// image grains. Resolves digests to references.
/// </summary>
[Alias("formation.image-catalog")]
public interface IImageCatalogGrain : IGrainWithStringKey
{
    /// <summary>Every known image, ordered by reference.</summary>
    [Alias("list")]
    [NonMutating]
    Task<IReadOnlyList<ImageStatus>> ListAsync();

    /// <summary>References whose current digest starts with <paramref name="hexPrefix"/> (lower-case hex), ordered.</summary>
    [Alias("resolve-digest")]
    [NonMutating]
    [NodeOnly]
    Task<IReadOnlyList<ImageStatus>> FindByDigestAsync(string hexPrefix);

    /// <summary>Records an image's status (called by its image grain).</summary>
    [Alias("update")]
    [Mutating]
    [NodeOnly]
    Task UpdateAsync(ImageStatus status);

    /// <summary>Forgets an image (called by its image grain when it is deleted).</summary>
    [Alias("remove")]
    [Mutating]
    [NodeOnly]
    Task RemoveAsync(string reference);
}
