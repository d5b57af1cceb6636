namespace Formation.Formfiles;

/// <summary><c>WORKDIR /path</c>: created in the image; later <c>RUN</c> steps and the entrypoint start there.</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.WorkdirInstruction")]
public sealed record WorkdirInstruction(
    FormfileLocation Location,
    [property: Id(0)] string Path) : FormfileInstruction(Location)
{
    public override string Directive => "WORKDIR";

    public override string Text => $"WORKDIR {Path}";
}
