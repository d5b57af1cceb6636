using System.Collections.Immutable;

namespace Formation.Formfiles;

/// <summary><c>ENV [--scope=...] KEY=value...</c>: variables for later steps, the entrypoint and shells.</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.EnvInstruction")]
public sealed record EnvInstruction(
    FormfileLocation Location,
    [property: Id(0)] ImmutableArray<EnvVariable> Variables) : FormfileInstruction(Location)
{
    public override string Directive => "ENV";

    public override string Text => "ENV " + string.Join(' ', Variables.Select(Describe));

    private static string Describe(EnvVariable v)
    {
        var scope = v.Scope switch
        {
            EnvScopeKind.User => $"--scope=user:{v.ScopeName} ",
            EnvScopeKind.Service => $"--scope=service:{v.ScopeName} ",
            _ => "",
        };
        return $"{scope}{v.Name}={v.Value}";
    }
}
