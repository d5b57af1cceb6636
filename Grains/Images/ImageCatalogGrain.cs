using Formation.Grains.Common;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// The cluster's image list (a row per reference, written as group commits). Image grains keep it current; it answers
/// <c>form image list</c> and digest look-ups without activating every image grain.
/// </summary>
[Reentrant]
public sealed class ImageCatalogGrain(IStateRowStore rows) : Grain, IImageCatalogGrain
{
    private PersistentRowMap<ImageStatus> _images = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _images = new PersistentRowMap<ImageStatus>(rows, "image-catalog", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _images.LoadAsync(cancellationToken);
    }

    public Task<IReadOnlyList<ImageStatus>> ListAsync() =>
        Task.FromResult<IReadOnlyList<ImageStatus>>([.. _images.Items.Values.OrderBy(i => i.Reference, StringComparer.Ordinal)]);

    public Task<IReadOnlyList<ImageStatus>> FindByDigestAsync(string hexPrefix) =>
        Task.FromResult<IReadOnlyList<ImageStatus>>(
            [.. _images.Items.Values.Where(i => ImageReference.DigestMatches(i.Digest, hexPrefix)).OrderBy(i => i.Reference, StringComparer.Ordinal)]);

    public Task UpdateAsync(ImageStatus status)
    {
        _images.Set(status.Reference, status);
        return _images.FlushAsync();
    }

    public Task RemoveAsync(string reference)
    {
        _images.Remove(reference, out _);
        return _images.FlushAsync();
    }
}
