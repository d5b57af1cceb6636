namespace Formation.Silo.Tests.Storage;

[GenerateSerializer, Immutable, Alias("Formation.Silo.Tests.Storage.ProbeOwner")]
public sealed record ProbeOwner([property: Id(0)] string Account, [property: Id(1)] DateTimeOffset Since);
