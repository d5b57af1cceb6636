namespace Formation.Images;

/// <summary>One build progress event as published on <see cref="Events.EventStreams.ForBuild"/> and <see cref="Events.EventStreams.ForAllBuilds"/>.</summary>
/// <param name="Index">Position of the event in its session (0-based, gap-free).</param>
[GenerateSerializer, Immutable, Alias("formation.image-build-event")]
public sealed record ImageBuildEvent(
    [property: Id(0)] string Session,
    [property: Id(1)] string NodeId,
    [property: Id(2)] string Reference,
    [property: Id(3)] int Index,
    [property: Id(4)] BuildProgress Progress);
