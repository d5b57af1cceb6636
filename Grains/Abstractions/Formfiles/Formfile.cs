using System.Collections.Immutable;
using Formation.Services;

namespace Formation.Formfiles;

/// <summary>
/// A parsed, validated Formfile. <see cref="Instructions"/> are the build steps in file order; the other members
/// are the image's metadata (what the last <c>ENV</c>/<c>WORKDIR</c>/<c>ENTRYPOINT</c> left in effect, and the <c>HEALTHCHECK</c>).
/// <see cref="DeclaresDisk"/> tells a DISK line from the default size in <see cref="FormfileResources.DiskGiB"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("Formation.Formfiles.Formfile")]
public sealed record Formfile(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Description,
    [property: Id(2)] BaseImage From,
    [property: Id(3)] FormfileResources Resources,
    [property: Id(4)] ImmutableArray<FormfileInstruction> Instructions,
    [property: Id(5)] ImmutableArray<FormfileUser> Users,
    [property: Id(6)] ImmutableArray<EnvVariable> Environment,
    [property: Id(7)] string Workdir,
    [property: Id(8)] FormfileEntrypoint? Entrypoint,
    [property: Id(9)] ImmutableArray<ExposedPort> ExposedPorts,
    [property: Id(10)] ModelRequirement? Model,
    [property: Id(11)] ConsoleMode Console = ConsoleMode.Shell,
    [property: Id(12)] bool DeclaresDisk = false,
    [property: Id(13)] HealthCheck? Health = null);
