namespace Formation.Grains.Images;

/// <summary>An older version of an image (<paramref name="Digest"/>) still in the store of <paramref name="NodeId"/>.</summary>
[GenerateSerializer, Immutable, Alias("formation.retired-image")]
public sealed record RetiredImage([property: Id(0)] string NodeId, [property: Id(1)] string Digest);
