using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// The build-facing side of <see cref="ImageGrain"/> (same grain, canonical <c>name:tag</c> key), called by build
/// sessions on the silos. Not part of the client contract.
/// </summary>
[Alias("formation.image-record")]
public interface IImageRecordGrain : IGrainWithStringKey
{
    /// <summary>Marks a build of this image as running in <paramref name="session"/>; Conflict when another build of it runs.</summary>
    [Alias("begin-build")]
    Task BeginBuildAsync(string session);

    /// <summary>Records the built image (registered on <paramref name="nodeId"/>) as the current version.</summary>
    [Alias("complete-build")]
    Task CompleteBuildAsync(string session, string nodeId, ImageManifest manifest);

    /// <summary>Records that the build failed (<paramref name="error"/>) or was cancelled (<paramref name="error"/> null).</summary>
    [Alias("fail-build")]
    Task FailBuildAsync(string session, string? error);

    /// <summary>The nodes recorded as holding version <paramref name="digest"/> of this image (current or older).</summary>
    [Alias("holders")]
    Task<IReadOnlyList<string>> HoldersAsync(string digest);

    /// <summary>
    /// Records that <paramref name="nodeId"/> now holds version <paramref name="digest"/> (it fetched it), so VMs there
    /// reuse it and deleting the image removes it there too. False when the image no longer exists.
    /// </summary>
    [Alias("add-holder")]
    Task<bool> AddHolderAsync(string digest, string nodeId);
}
