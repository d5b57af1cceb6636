using Formation.Errors;
using Formation.Images;
using Formation.Vms;

namespace Formation.Grains.Images;

/// <summary>A VM's image on a node before the VM is restored there (a migration's target, a clone's node).</summary>
internal static class NodeImageHolding
{
    /// <summary>Returns once node <paramref name="nodeId"/> holds the image <paramref name="spec"/> names (fetched if need be); HostFailure with the reason otherwise.</summary>
    public static async Task RequireAsync(IGrainFactory grains, string nodeId, VmSpec spec, string account)
    {
        if (spec is { Image: { } image, ImageDigest: { } digest })
        {
            var held = await grains.GetGrain<INodeImageStoreGrain>(ImageKeys.NodeStore(nodeId)).EnsureAsync(ImageNames.InAccount(account, image), digest);
            if (!held.Succeeded)
            {
                throw new FormationException(ErrorKind.HostFailure, $"node {nodeId} could not get the VM's image {image}: {held.Error}");
            }
        }
    }
}
