using System.Collections.Immutable;

namespace Formation.Formfiles;

/// <summary>
/// <c>COPY src... dst</c>: sources are relative paths inside the build context; <see cref="Destination"/> is an
/// absolute directory in the image (a relative one is resolved against the <c>WORKDIR</c> in effect).
/// A file source lands at <c>dst/NAME</c>; a directory source's contents are copied into <c>dst</c>.
/// </summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.CopyInstruction")]
public sealed record CopyInstruction(
    FormfileLocation Location,
    [property: Id(0)] ImmutableArray<string> Sources,
    [property: Id(1)] string Destination) : FormfileInstruction(Location)
{
    public override string Directive => "COPY";

    public override string Text => $"COPY {string.Join(' ', Sources)} {Destination}";
}
