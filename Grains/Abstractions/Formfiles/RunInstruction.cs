namespace Formation.Formfiles;

/// <summary><c>RUN command</c>: a shell command run as root inside the image root, without network.</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.RunInstruction")]
public sealed record RunInstruction(
    FormfileLocation Location,
    [property: Id(0)] string Command) : FormfileInstruction(Location)
{
    public override string Directive => "RUN";

    public override string Text => $"RUN {Command}";
}
