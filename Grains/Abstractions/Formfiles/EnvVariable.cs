namespace Formation.Formfiles;

/// <summary>One <c>ENV</c> variable with its scope (<see cref="ScopeName"/> is the user or service name).</summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.EnvVariable")]
public sealed record EnvVariable(
    [property: Id(0)] string Name,
    [property: Id(1)] string Value,
    [property: Id(2)] EnvScopeKind Scope,
    [property: Id(3)] string? ScopeName)
{
    /// <summary>The service name the entrypoint runs as, for <c>--scope=service:</c>.</summary>
    public const string EntrypointService = "app";

    /// <summary>True when the variable reaches the entrypoint (system scope or the entrypoint's service scope).</summary>
    public bool AppliesToEntrypoint => Scope == EnvScopeKind.System
        || (Scope == EnvScopeKind.Service && ScopeName == EntrypointService);
}
