using Formation.Vms;

namespace Formation.Services;

/// <summary>
/// What <c>form deploy</c> asks of a service: run <see cref="Replicas"/> VMs shaped like <see cref="Template"/> (null:
/// keep the current count, one for a new service). The template's name is ignored (replicas are named
/// <c>NAME-N</c>); its image digest, when null, is the one the image reference names at deploy time, and every replica
/// of the resulting revision boots that digest. <see cref="Health"/> is the revision's health check (none: a running
/// guest is healthy).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("formation.service-spec")]
public sealed record ServiceSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] int? Replicas,
    [property: Id(2)] VmSpec Template,
    [property: Id(3)] HealthCheck? Health = null);
