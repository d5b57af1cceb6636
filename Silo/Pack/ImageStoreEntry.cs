using System.Collections.Immutable;
using Formation.Images;

namespace Formation.Silo.Pack;

/// <summary>An image in the node's store: its manifest, the tags that point at it, and its directory.</summary>
public sealed record ImageStoreEntry(ImageManifest Manifest, ImmutableArray<string> Tags, string Directory)
{
    /// <summary>Full path of the root filesystem file (initramfs or ext4 disk).</summary>
    public string RootFilesystemPath => Path.Combine(Directory, Manifest.RootFilesystem.FileName);
}
