using Formation.Errors;
using Formation.Grains.Common;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// An image. The grain of a canonical <c>name:tag</c> key holds the record (status, current manifest, running build,
/// older versions still on nodes) and keeps the cluster catalog's row current; the grains of other keys (<c>name</c>,
/// a digest or digest prefix) resolve to it (see <see cref="ImageReference"/>) and forward every call.
/// </summary>
public sealed partial class ImageGrain(
    [PersistentState("image", StorageNames.Formation)] IPersistentState<ImageGrainState> store,
    TimeProvider clock,
    ILogger<ImageGrain> logger) : Grain, IImageGrain, IImageRecordGrain
{
    private ImageKey _key = null!;

    private ImageGrainState S => store.State;

    /// <summary>The canonical reference (valid only for the record grain).</summary>
    private string Reference => _key.Canonical!;

    private IImageCatalogGrain Catalog => GrainFactory.GetGrain<IImageCatalogGrain>(GrainKeys.Cluster);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = ImageKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public async Task<ImageStatus> GetStatusAsync()
    {
        if (!_key.IsRecord)
        {
            var (target, problem, _) = await ResolveAsync();
            return target is null ? Unknown(_key.Raw, problem) : await GrainFactory.GetGrain<IImageGrain>(target).GetStatusAsync();
        }

        await CheckBuildAsync();
        return S.Status ?? Unknown(Reference, null);
    }

    public async Task<ImageManifest?> GetManifestAsync()
    {
        if (!_key.IsRecord)
        {
            var (target, _, _) = await ResolveAsync();
            return target is null ? null : await GrainFactory.GetGrain<IImageGrain>(target).GetManifestAsync();
        }

        return S.Status?.State == ImageBuildState.Ready ? S.Manifest : null;
    }

    private ImageStatus Unknown(string reference, string? problem) =>
        new(reference, ImageBuildState.Unknown, null, 0, [], problem, clock.GetUtcNow());

    /// <summary>The canonical reference a non-record key stands for, or why there is none.</summary>
    private async Task<(string? Target, string? Problem, IReadOnlyList<ImageStatus> Matches)> ResolveAsync()
    {
        if (_key.Problem is { } invalid)
        {
            return (null, invalid, []);
        }

        if (_key.DigestHex is not { } hex)
        {
            return (_key.Canonical, null, []);
        }

        if (_key.Canonical is { } named && (await GrainFactory.GetGrain<IImageGrain>(named).GetStatusAsync()).State != ImageBuildState.Unknown)
        {
            return (named, null, []);
        }

        var matches = await Catalog.FindByDigestAsync(hex);
        var digests = matches.Select(m => m.Digest).Distinct().ToList();
        return digests.Count switch
        {
            0 => (null, $"no image has a digest starting with '{hex}'", matches),
            1 => (matches[0].Reference, null, matches),
            _ => (null, $"digest prefix '{hex}' is ambiguous: it matches {string.Join(", ", digests.Select(ImageReference.Short))}; give more digits", matches),
        };
    }

    private async Task SaveAsync()
    {
        S.Status = S.Status! with { BuildSession = S.BuildSession };
        await store.WriteStateAsync();
        await Catalog.UpdateAsync(S.Status);
    }

    private async Task ForgetAsync()
    {
        await store.ClearStateAsync();
        store.State = new ImageGrainState();
        await Catalog.RemoveAsync(Reference);
    }

    private void RequireRecord()
    {
        if (!_key.IsRecord)
        {
            throw FormationException.Invalid($"'{_key.Raw}' is not a canonical image reference (name:tag); builds record images by name:tag.");
        }
    }
}
