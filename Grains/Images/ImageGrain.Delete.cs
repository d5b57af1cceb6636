using Formation.Errors;
using Formation.Images;
using Formation.Ownership;
using Formation.Vms;

namespace Formation.Grains.Images;

/// <summary>
/// Deleting an image: refused while VMs use it; removes its tags and files from every node, then the record. An image
/// belongs to its account: a member deletes its own, an admin any. Only VMs that name this record (in their owner's
/// account, or by one of its digests) hold it; a digest that another account's image (or another name) also has as its
/// current version keeps its files on every node, only this image's tags go.
/// </summary>
public sealed partial class ImageGrain
{
    public async Task<ImageDeletion> DeleteAsync()
    {
        var (target, problem, matches) = await ResolveAsync();
        if (target is null)
        {
            throw _key.Problem is not null ? FormationException.Invalid($"'{_key.Raw}': {problem}.") : NotFound(problem);
        }

        if (_key.DigestHex is not null && matches.Count > 1)
        {
            throw FormationException.Conflict(
                $"Digest {ImageReference.Short(matches[0].Digest)} is the current version of {string.Join(", ", matches.Select(m => m.RecordKey()))}; " +
                "delete them by name.");
        }

        // The missing record answers in the caller's words, exactly as another account's image does above.
        return (await OnRecordAsync(target, r => r.StatusAsync())).State == ImageBuildState.Unknown
            ? throw NotFound(null)
            : await OnRecordAsync(target, r => r.DeleteRecordAsync());
    }

    public async Task<ImageDeletion> DeleteRecordAsync()
    {
        RequireRecord();
        await CheckBuildAsync();
        if (S.Status is null)
        {
            throw NotFound(null);
        }

        if (S.BuildSession is { } session)
        {
            throw FormationException.Conflict(
                $"Image '{Written}' is being built on node {GrainKeys.NodeOf(session)}; wait for the build to finish (or cancel it), then delete it.");
        }

        var users = await UsersAsync();
        if (users.Count > 0)
        {
            throw FormationException.Conflict(
                $"Image '{Written}' is used by VM(s) {string.Join(", ", users)}; delete them first (`form vm delete NAME`), then delete the image.");
        }

        var digest = S.Manifest?.Digest;
        var copies = new List<RetiredImage>(S.Retired);
        if (digest is not null)
        {
            copies.AddRange(S.Status.Nodes.Select(n => new RetiredImage(n, digest)));
        }

        var shared = await SharedDigestsAsync(copies.Select(c => c.Digest));
        var tag = ImageNames.StoreTag(_key.Owner, Reference);
        var failed = new List<(RetiredImage Copy, string Error)>();
        foreach (var copy in copies)
        {
            try
            {
                var others = shared.GetValueOrDefault(copy.Digest);
                await GrainFactory.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore(copy.NodeId)).RemoveAsync(tag, copy.Digest, keepFiles: others is not null);
                foreach (var other in others ?? [])
                {
                    // The copy stays for the other image (a VM of it may boot from it there): it now names the node, so
                    // deleting that image removes the copy, and nothing is left on a node that no image names.
                    await GrainFactory.GetGrain<IImageRecordGrain>(other).AddHolderAsync(copy.Digest, copy.NodeId);
                }
            }
            catch (Exception ex)
            {
                failed.Add((copy, ex.Message));
            }
        }

        var cleaned = copies.Select(c => c.NodeId).Except(failed.Select(f => f.Copy.NodeId)).Distinct().Order().ToList();
        if (failed.Count > 0)
        {
            S.Retired = [.. failed.Select(f => f.Copy).Where(c => c.Digest != digest)];
            S.Status = S.Status with { Nodes = [.. failed.Select(f => f.Copy).Where(c => c.Digest == digest).Select(c => c.NodeId).Distinct()], UpdatedAt = clock.GetUtcNow() };
            await SaveAsync();
            var first = failed[0];
            throw new FormationException(ErrorKind.NodeUnavailable,
                $"Image '{Written}' could not be removed from node(s) {string.Join(", ", failed.Select(f => f.Copy.NodeId).Distinct())} " +
                $"({first.Error}){(cleaned.Count > 0 ? $"; it was removed from {string.Join(", ", cleaned)}" : "")}. " +
                $"Run `form image delete {Written}` again when those nodes are back.");
        }

        await ForgetAsync();
        LogDeleted(Written, digest ?? "-", cleaned.Count);
        return new ImageDeletion(Written, digest, cleaned);
    }

    /// <summary>
    /// Names of the VMs (not deleted) whose image is this one: VMs whose reference, read in their owner's account
    /// (<see cref="ImageNames.InAccount"/>), names this record or a digest of its current version.
    /// </summary>
    private async Task<List<string>> UsersAsync()
    {
        var vms = await GrainFactory.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
        var digest = S.Manifest?.Digest;
        return [.. vms.Where(vm => vm.State != VmState.Deleted && vm.Image is { } image &&
                ImageKey.Parse(ImageNames.InAccount(vm.Account, image)) is { Problem: null } named && named.Owner == _key.Owner &&
                (named.Canonical == Reference || (named.DigestHex is { } hex && ImageReference.DigestMatches(digest, hex))))
            .Select(vm => new OwnedName(vm.Account, vm.Name).ToString())
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Those of <paramref name="digests"/> that another image record (of any account) has as its current version, each
    /// with the record keys of those images.
    /// </summary>
    private async Task<Dictionary<string, List<string>>> SharedDigestsAsync(IEnumerable<string> digests)
    {
        var shared = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var digest in digests.Distinct())
        {
            var others = ImageReference.DigestHex(digest, out _) is { } hex
                ? (await Catalog.FindByDigestAsync(hex)).Where(m => m.Digest == digest && m.RecordKey() != _key.Raw).Select(m => m.RecordKey()).ToList()
                : [];
            if (others.Count > 0)
            {
                shared[digest] = others;
            }
        }

        return shared;
    }

    private FormationException NotFound(string? problem) =>
        FormationException.NotFound($"No image '{_key.Raw}'{(problem is null ? "" : $" ({problem})")}. `form image list` shows the images.");
}
