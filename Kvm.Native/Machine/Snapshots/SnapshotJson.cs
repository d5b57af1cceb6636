using System.Text.Json.Serialization;

namespace Formation.Kvm.Native.Machine.Snapshots;

/// <summary>Source-generated JSON of <see cref="MachineSnapshot"/>: strict (unknown properties, missing properties and nulls where a value is required are errors; nulls are written).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowOutOfOrderMetadataProperties = true,
    WriteIndented = true)]
[JsonSerializable(typeof(MachineSnapshot))]
internal sealed partial class SnapshotJson : JsonSerializerContext;
