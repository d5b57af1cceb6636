using Formation.Grains.Common;
using Formation.Identity;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// The cluster's image list (a row per record key, <c>[ACCOUNT/]name:tag</c>, written as group commits). Image grains keep it current; it answers
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

    /// <summary>The images the caller may see: a member's own, every account's for an admin (and the silo).</summary>
    public Task<IReadOnlyList<ImageStatus>> ListAsync()
    {
        var caller = CallerContext.CurrentOrSystem;
        return Task.FromResult<IReadOnlyList<ImageStatus>>(
            [.. _images.Items.Values.Where(i => caller.MayAct(i.Owner())).Select(i => i with { Account = i.Owner() }).OrderBy(i => i.Reference, StringComparer.Ordinal).ThenBy(i => i.Owner(), StringComparer.Ordinal)]);
    }

    public Task<IReadOnlyList<ImageStatus>> FindByDigestAsync(string hexPrefix) =>
        Task.FromResult<IReadOnlyList<ImageStatus>>(
            [.. _images.Items.Values.Where(i => ImageReference.DigestMatches(i.Digest, hexPrefix)).OrderBy(i => i.Reference, StringComparer.Ordinal)]);

    public Task UpdateAsync(ImageStatus status)
    {
        _images.Set(status.RecordKey(), status);
        return _images.FlushAsync();
    }

    public Task RemoveAsync(string recordKey)
    {
        _images.Remove(recordKey, out _);
        return _images.FlushAsync();
    }
}
