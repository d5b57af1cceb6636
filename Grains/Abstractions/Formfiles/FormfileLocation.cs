namespace Formation.Formfiles;

/// <summary>Where a directive starts in its Formfile (1-based line and column).</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.FormfileLocation")]
public readonly record struct FormfileLocation(
    [property: Id(0)] int Line,
    [property: Id(1)] int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
