namespace Formation.Grains.Images;

/// <summary>
/// The side of a VM's grain (same grain as <see cref="Formation.Vms.IVmGrain"/>, same key) that its node's image store
/// calls while the VM waits in Provisioning for its image to be fetched. Not part of the client contract.
/// </summary>
[Alias("formation.vm-image-waiter")]
public interface IVmImageWaiter : IGrainWithStringKey
{
    /// <summary>The fetch moved on (published as an event of the VM, not kept in its history).</summary>
    [Alias("image-progress")]
    Task ImageFetchProgressAsync(ImageFetchProgress progress);

    /// <summary>The fetch ended: the VM boots, or fails with the reason.</summary>
    [Alias("image-fetched")]
    Task ImageFetchedAsync(ImageFetchResult result);
}
