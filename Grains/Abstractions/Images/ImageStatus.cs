using Formation.Identity;

namespace Formation.Images;

/// <summary>
/// An image as the cluster knows it: build state, digest, size and the nodes that hold its files. <see cref="Reference"/>
/// is canonical (<c>name:tag</c>). <see cref="Nodes"/> lists the nodes whose image store holds this digest: the node that
/// built it and the nodes that fetched it. The scheduler prefers them for a VM of this image; any other node it picks
/// fetches the image by <see cref="Digest"/> from one of them first.
/// </summary>
/// <param name="Error">Why the last build failed (State Failed), or why the status could not be fully determined.</param>
/// <param name="BuildSession">Key of the build session building a new version right now, or null.</param>
/// <param name="Account">
/// The account the image belongs to (the one that built it); names are unique per account. Null for images from before
/// accounts: they are the admin account's (<see cref="Owner"/>).
/// </param>
[GenerateSerializer, Immutable]
[Alias("formation.image-status")]
public sealed record ImageStatus(
    [property: Id(0)] string Reference,
    [property: Id(1)] ImageBuildState State,
    [property: Id(2)] string? Digest,
    [property: Id(3)] long SizeBytes,
    [property: Id(4)] IReadOnlyList<string> Nodes,
    [property: Id(5)] string? Error,
    [property: Id(6)] DateTimeOffset UpdatedAt,
    [property: Id(7)] string? BuildSession = null,
    [property: Id(8)] string? Account = null)
{
    /// <summary>The account the image belongs to.</summary>
    public string Owner() => Account ?? AccountNames.Admin;

    /// <summary>
    /// The key of the image's record grain, which is also how the image is written for everyone: <c>name:tag</c> for the
    /// admin account's, <c>ACCOUNT/name:tag</c> otherwise (see <see cref="ImageNames.RecordKey"/>).
    /// </summary>
    public string RecordKey() => ImageNames.RecordKey(Owner(), Reference);
}
