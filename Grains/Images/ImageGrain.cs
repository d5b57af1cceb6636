using Formation.Errors;
using Formation.Grains.Common;
using Formation.Identity;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// An image. The grain of a record key (<c>name:tag</c> for the admin account's, <c>ACCOUNT/name:tag</c> for another's,
/// see <see cref="ImageNames.RecordKey"/>) holds the record (status, current manifest, running build, older versions
/// still on nodes) and keeps the cluster catalog's row current. A client's call on any key (<c>name</c>, a digest or
/// digest prefix, <c>ACCOUNT/…</c>, a record key) is read for the caller (<see cref="ImageKey"/>) and served by the
/// record it names in the caller's account; another account's image answers as a missing one.
/// </summary>
public sealed partial class ImageGrain(
    [PersistentState("image", StorageNames.Formation)] IPersistentState<ImageGrainState> store,
    TimeProvider clock,
    ILogger<ImageGrain> logger) : Grain, IImageGrain, IImageRecordGrain
{
    private ImageKey _key = null!;

    private ImageGrainState S => store.State;

    /// <summary>The canonical <c>name:tag</c> within its account (valid only for a record grain).</summary>
    private string Reference => _key.Canonical!;

    /// <summary>How messages and logs name a record: its key (<c>name:tag</c>, or <c>ACCOUNT/name:tag</c>).</summary>
    private string Written => _key.Raw;

    private IImageCatalogGrain Catalog => GrainFactory.GetGrain<IImageCatalogGrain>(GrainKeys.Cluster);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = ImageKey.Parse(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }

    public async Task<ImageStatus> GetStatusAsync()
    {
        var (target, problem, _) = await ResolveAsync();
        return target is null ? Unknown(_key.Raw, problem) : await OnRecordAsync(target, r => r.StatusAsync());
    }

    public async Task<ImageManifest?> GetManifestAsync()
    {
        var (target, _, _) = await ResolveAsync();
        return target is null ? null : await OnRecordAsync(target, r => r.ManifestAsync());
    }

    public async Task<ImageStatus> StatusAsync()
    {
        RequireRecord();
        await CheckBuildAsync();
        return (S.Status ?? Unknown(Reference, null)) with { Account = _key.Owner }; // records from before accounts: the admin's
    }

    public Task<ImageManifest?> ManifestAsync()
    {
        RequireRecord();
        return Task.FromResult(S.Status?.State == ImageBuildState.Ready ? S.Manifest : null);
    }

    private ImageStatus Unknown(string reference, string? problem) =>
        new(reference, ImageBuildState.Unknown, null, 0, [], problem, clock.GetUtcNow());

    /// <summary>
    /// The record this key names for the current caller (<see cref="ImageKey.AccountFor"/>): the name in the caller's
    /// account or the one the key gives, or the caller's image whose current digest the key is; or why there is none.
    /// Another account's image (by name or by digest) is no image at all for a member.
    /// </summary>
    private async Task<(string? Target, string? Problem, IReadOnlyList<ImageStatus> Matches)> ResolveAsync()
    {
        if (_key.Problem is { } invalid)
        {
            return (null, invalid, []);
        }

        if (_key.AccountFor(CallerContext.CurrentOrSystem) is not { } account)
        {
            return (null, null, []);
        }

        if (_key.DigestHex is not { } hex)
        {
            return (ImageNames.RecordKey(account, _key.Canonical!), null, []);
        }

        if (_key.Canonical is { } named && ImageNames.RecordKey(account, named) is var record &&
            (await OnRecordAsync(record, r => r.StatusAsync())).State != ImageBuildState.Unknown)
        {
            return (record, null, []);
        }

        var matches = (await Catalog.FindByDigestAsync(hex)).Where(m => m.Owner() == account).ToList();
        var digests = matches.Select(m => m.Digest).Distinct().ToList();
        return digests.Count switch
        {
            0 => (null, $"no image has a digest starting with '{hex}'", matches),
            1 => (matches[0].RecordKey(), null, matches),
            _ => (null, $"digest prefix '{hex}' is ambiguous: it matches {string.Join(", ", digests.Select(ImageReference.Short))}; give more digits", matches),
        };
    }

    /// <summary>
    /// Runs <paramref name="call"/> on record <paramref name="key"/>: on this activation itself (a grain cannot call
    /// itself), or on another record, whose call chain may then call this grain back (a deleted record hands a copy it
    /// shares to the other records of that digest, this one among them when it is a record): this grain only waits.
    /// </summary>
    private async Task<T> OnRecordAsync<T>(string key, Func<IImageRecordGrain, Task<T>> call)
    {
        if (key == _key.Raw)
        {
            return await call(this);
        }

        using var reentrant = RequestContext.AllowCallChainReentrancy();
        return await call(GrainFactory.GetGrain<IImageRecordGrain>(key));
    }

    private async Task SaveAsync()
    {
        S.Status = S.Status! with { BuildSession = S.BuildSession, Account = _key.Owner };
        await store.WriteStateAsync();
        await Catalog.UpdateAsync(S.Status);
    }

    private async Task ForgetAsync()
    {
        await store.ClearStateAsync();
        store.State = new ImageGrainState();
        await Catalog.RemoveAsync(_key.Raw);
    }

    private void RequireRecord()
    {
        if (!_key.IsRecord)
        {
            throw FormationException.Invalid($"'{_key.Raw}' is not an image record's key ([ACCOUNT/]name:tag); builds record images by name:tag.");
        }
    }
}
