namespace Formation.Images;

/// <summary>What to build: the Formfile (its text and the path shown in diagnostics) and the image reference.</summary>
/// <param name="Reference"><c>name[:tag]</c>; null = the Formfile's NAME with tag <c>latest</c>.</param>
[GenerateSerializer, Immutable, Alias("formation.image-build-request")]
public sealed record ImageBuildRequest(
    [property: Id(0)] string FormfileText,
    [property: Id(1)] string FormfilePath,
    [property: Id(2)] string? Reference);
