namespace Formation.Formfiles;

/// <summary><c>MODEL required:ID</c> or <c>MODEL preferred:ID</c> (kept from the original; recorded only).</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.ModelRequirement")]
public sealed record ModelRequirement(
    [property: Id(0)] string ModelId,
    [property: Id(1)] bool Required);
