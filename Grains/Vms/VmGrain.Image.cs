using Formation.Events;
using Formation.Grains.Images;
using Formation.Images;
using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>
/// A VM whose node lacks its image waits in Provisioning while the node's image store fetches it from a node that
/// holds it; progress shows as events of the VM, the outcome boots the VM or fails it with the reason.
/// </summary>
public sealed partial class VmGrain
{
    private INodeImageStoreGrain NodeStore => GrainFactory.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore(NodeId));

    /// <summary>True when the VM must wait for its image (a fetch was started or joined), or failed asking for it.</summary>
    private async Task<bool> AwaitImageAsync()
    {
        if (S.Spec!.Image is not { } image || S.Spec.ImageDigest is not { } digest)
        {
            return false;
        }

        bool held;
        try
        {
            held = await NodeStore.RequestForVmAsync(ImageNames.InAccount(OwnerAccount, image), digest, this.GetPrimaryKeyString());
        }
        catch (Exception ex)
        {
            await FailAsync("image fetch", ex);
            return true;
        }

        if (held)
        {
            return false;
        }

        S.AwaitingImage = digest;
        await NoteAsync($"node {NodeId} does not hold image {image} ({ImageReference.Short(digest)}); fetching it from a node that does");
        return true;
    }

    /// <summary>After a reactivation during a fetch: boots now if the image arrived meanwhile, else waits for the fetch again.</summary>
    private async Task ResumeImageWaitAsync()
    {
        bool held;
        try
        {
            held = await NodeStore.RequestForVmAsync(ImageNames.InAccount(OwnerAccount, S.Spec!.Image!), S.AwaitingImage!, this.GetPrimaryKeyString());
        }
        catch (Exception ex)
        {
            S.AwaitingImage = null;
            await FailAsync("image fetch", ex);
            return;
        }

        if (held)
        {
            S.AwaitingImage = null;
            await store.WriteStateAsync();
            await BootAsync();
        }
    }

    public async Task ImageFetchProgressAsync(ImageFetchProgress progress)
    {
        if (S.AwaitingImage != progress.Digest || S.State != VmState.Provisioning)
        {
            return;
        }

        await PublishAsync(Note($"fetching image {S.Spec!.Image} from node {progress.Source}: {MiB(progress.Received)} of {MiB(progress.Total)}"));
    }

    public async Task ImageFetchedAsync(ImageFetchResult result)
    {
        if (S.AwaitingImage != result.Digest || S.State != VmState.Provisioning)
        {
            return; // stopped, deleted or provisioned again meanwhile: not this wait's news
        }

        S.AwaitingImage = null;
        if (result.Error is { } error)
        {
            await TransitionAsync(VmState.Failed, $"image fetch failed: {error}");
            return;
        }

        await NoteAsync(result.Fetched
            ? $"image {S.Spec!.Image} fetched from node {result.Source}: {MiB(result.Bytes)} in {result.Elapsed.TotalSeconds:0.0} s, every file verified{(result.Transport is { } how ? $", {how}" : "")}"
            : $"image {S.Spec!.Image} is on node {NodeId}");
        await BootAsync();
    }

    /// <summary>An event that changes no state (the VM stays where it is, this is why), kept in its history, persisted and published.</summary>
    private async Task NoteAsync(string reason)
    {
        var evt = Note(reason);
        S.Reason = reason;
        S.UpdatedAt = evt.At;
        S.Events.Add(evt);
        if (S.Events.Count > VmGrainState.MaxEvents)
        {
            S.Events.RemoveRange(0, S.Events.Count - VmGrainState.MaxEvents);
        }

        await store.WriteStateAsync();
        await PublishAsync(evt);
        PublishSummary();
    }

    private VmEvent Note(string reason) => new(VmId, S.Spec!.Name, NodeId, S.State, S.State, clock.GetUtcNow(), reason);

    private static string MiB(long bytes) => $"{bytes / 1048576.0:0.0} MiB";
}
