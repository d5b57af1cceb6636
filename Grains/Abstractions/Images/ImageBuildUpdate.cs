using System.Collections.Immutable;

namespace Formation.Images;

/// <summary>
/// A build session's state and a slice of its progress events: <see cref="Events"/> are the events with indexes
/// <see cref="FirstIndex"/>..<see cref="NextIndex"/>-1 (a session keeps its most recent events; older output lines may
/// have been dropped, then FirstIndex is past what was asked for).
/// </summary>
[GenerateSerializer, Immutable, Alias("formation.image-build-update")]
public sealed record ImageBuildUpdate(
    [property: Id(0)] string Session,
    [property: Id(1)] string NodeId,
    [property: Id(2)] string? Reference,
    [property: Id(3)] ImageBuildPhase Phase,
    [property: Id(4)] int FirstIndex,
    [property: Id(5)] ImmutableArray<BuildProgress> Events,
    [property: Id(6)] int NextIndex,
    [property: Id(7)] ImageManifest? Manifest,
    [property: Id(8)] BuildFailure? Failure,
    [property: Id(9)] long ReceivedBytes)
{
    /// <summary>True once the session will not change any more.</summary>
    public bool IsFinished => Phase is ImageBuildPhase.Succeeded or ImageBuildPhase.Failed or ImageBuildPhase.Cancelled or ImageBuildPhase.None;
}
