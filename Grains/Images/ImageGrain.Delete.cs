using Formation.Errors;
using Formation.Identity;
using Formation.Images;
using Formation.Ownership;
using Formation.Vms;

namespace Formation.Grains.Images;

/// <summary>
/// Deleting an image: refused while VMs use it; removes its files from every node, then the record. Images are shared
/// by every account (content-addressed blobs, one name space), so only an admin may delete one, and the check for VMs
/// that use it sees every account's.
/// </summary>
public sealed partial class ImageGrain
{
    public async Task<ImageDeletion> DeleteAsync()
    {
        if (!CallerContext.CurrentOrSystem.IsAdmin)
        {
            throw new FormationException(ErrorKind.PermissionDenied,
                $"Images are shared by every account; only an admin can delete '{_key.Raw}'. Ask an admin to run `form image delete`.");
        }

        if (!_key.IsRecord)
        {
            var (target, problem, matches) = await ResolveAsync();
            if (target is null)
            {
                throw _key.Problem is not null ? FormationException.Invalid($"'{_key.Raw}': {problem}.") : NotFound(problem);
            }

            if (_key.DigestHex is not null && matches.Count > 1)
            {
                throw FormationException.Conflict(
                    $"Digest {ImageReference.Short(matches[0].Digest)} is the current version of {string.Join(", ", matches.Select(m => m.Reference))}; " +
                    "delete them by name.");
            }

            return await GrainFactory.GetGrain<IImageGrain>(target).DeleteAsync();
        }

        await CheckBuildAsync();
        if (S.Status is null)
        {
            throw NotFound(null);
        }

        if (S.BuildSession is { } session)
        {
            throw FormationException.Conflict(
                $"Image '{Reference}' is being built on node {GrainKeys.NodeOf(session)}; wait for the build to finish (or cancel it), then delete it.");
        }

        var users = await UsersAsync();
        if (users.Count > 0)
        {
            throw FormationException.Conflict(
                $"Image '{Reference}' is used by VM(s) {string.Join(", ", users)}; delete them first (`form vm delete NAME`), then delete the image.");
        }

        var digest = S.Manifest?.Digest;
        var copies = new List<RetiredImage>(S.Retired);
        if (digest is not null)
        {
            copies.AddRange(S.Status.Nodes.Select(n => new RetiredImage(n, digest)));
        }

        var failed = new List<(RetiredImage Copy, string Error)>();
        foreach (var copy in copies)
        {
            try
            {
                await GrainFactory.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore(copy.NodeId)).RemoveAsync(Reference, copy.Digest);
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
                $"Image '{Reference}' could not be removed from node(s) {string.Join(", ", failed.Select(f => f.Copy.NodeId).Distinct())} " +
                $"({first.Error}){(cleaned.Count > 0 ? $"; it was removed from {string.Join(", ", cleaned)}" : "")}. " +
                $"Run `form image delete {Reference}` again when those nodes are back.");
        }

        await ForgetAsync();
        LogDeleted(Reference, digest ?? "-", cleaned.Count);
        return new ImageDeletion(Reference, digest, cleaned);
    }

    /// <summary>Names of the VMs (not deleted) whose image is this one: by reference, or by a digest of its current version.</summary>
    private async Task<List<string>> UsersAsync()
    {
        var vms = await GrainFactory.GetGrain<IVmCatalogGrain>(GrainKeys.Cluster).ListAsync();
        var digest = S.Manifest?.Digest;
        return [.. vms.Where(vm => vm.State != VmState.Deleted && vm.Image is { } image &&
                (ImageReference.TryNormalize(image, out _) == Reference ||
                 (ImageReference.DigestHex(image, out _) is { } hex && ImageReference.DigestMatches(digest, hex))))
            .Select(vm => new OwnedName(vm.Account, vm.Name).ToString())
            .Order(StringComparer.Ordinal)];
    }

    private FormationException NotFound(string? problem) =>
        FormationException.NotFound($"No image '{_key.Raw}'{(problem is null ? "" : $" ({problem})")}. `form image list` shows the images.");
}
