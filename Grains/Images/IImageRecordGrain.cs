using Formation.Identity;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>
/// The record side of <see cref="ImageGrain"/> (same grain, a record key: <see cref="ImageNames.RecordKey"/>), called by
/// build sessions, node image stores and the image grains that resolved a client's reference for its caller. It acts on
/// the record its key names without asking whose it is, so no client may call it: node-only.
/// </summary>
[Alias("formation.image-record")]
[NodeOnly]
public interface IImageRecordGrain : IGrainWithStringKey
{
    /// <summary>The record's status (State Unknown when there is none); a build whose session vanished is settled first.</summary>
    [Alias("record-status")]
    Task<ImageStatus> StatusAsync();

    /// <summary>The manifest of the record's current (Ready) version, or null.</summary>
    [Alias("record-manifest")]
    Task<ImageManifest?> ManifestAsync();

    /// <summary>See <see cref="IImageGrain.DeleteAsync"/>: deletes this record.</summary>
    [Alias("record-delete")]
    Task<ImageDeletion> DeleteRecordAsync();

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
