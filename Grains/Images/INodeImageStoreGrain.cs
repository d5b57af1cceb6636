namespace Formation.Grains.Images;

/// <summary>A node's image store, reached from anywhere in the cluster (key: <see cref="Formation.Images.ImageKeys.NodeStore"/>, host-affine).</summary>
[Alias("formation.node-image-store")]
public interface INodeImageStoreGrain : IGrainWithStringKey
{
    /// <summary>See <see cref="IImageHost.RemoveAsync"/>.</summary>
    [Alias("remove")]
    Task<bool> RemoveAsync(string reference, string digest);
}
