using System.Collections.Immutable;

namespace Formation.Formfiles;

/// <summary><c>INSTALL pkg...</c>: Debian packages installed with apt (the only step with network).</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.InstallInstruction")]
public sealed record InstallInstruction(
    FormfileLocation Location,
    [property: Id(0)] ImmutableArray<string> Packages) : FormfileInstruction(Location)
{
    public override string Directive => "INSTALL";

    public override string Text => $"INSTALL {string.Join(' ', Packages)}";
}
