using System.Text.Json.Serialization;

namespace Formation.Kvm.Native.Machine.Snapshots;

/// <summary>Source-generated JSON of <see cref="MachineSnapshot"/>: strict (unknown properties, missing or null required values are errors).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowOutOfOrderMetadataProperties = true,
    WriteIndented = true)]
[JsonSerializable(typeof(MachineSnapshot))]
internal sealed partial class SnapshotJson : JsonSerializerContext;
