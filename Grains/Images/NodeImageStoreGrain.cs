using Formation.Grains.Placement;

namespace Formation.Grains.Images;

/// <summary>Runs image store operations on the node named by its key.</summary>
[HostAffinityPlacement, Reentrant]
public sealed class NodeImageStoreGrain(IImageHost host) : Grain, INodeImageStoreGrain
{
    public Task<bool> RemoveAsync(string reference, string digest) => host.RemoveAsync(reference, digest, CancellationToken.None);
}
