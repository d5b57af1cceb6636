using System.Text.Json;
using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>
/// Source-generated JSON for the config file and every control message (NativeAOT-safe). Strict where formation-vmm
/// reads (unknown properties are rejected on the config and on requests, by attribute), tolerant where the silo reads
/// replies, so a newer VMM may add fields to a result.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowOutOfOrderMetadataProperties = true)]
[JsonSerializable(typeof(VmmConfig))]
[JsonSerializable(typeof(VmmRequest))]
[JsonSerializable(typeof(VmmFailure))]
[JsonSerializable(typeof(VmmReply<StateResult>))]
[JsonSerializable(typeof(VmmReply<ExitResult>))]
[JsonSerializable(typeof(VmmReply<MachineInfo>))]
[JsonSerializable(typeof(VmmReply<IReadOnlyList<VcpuRegisters>>))]
[JsonSerializable(typeof(VmmReply<ConsoleAttached>))]
[JsonSerializable(typeof(VmmReply<SnapshotResult>))]
internal sealed partial class VmmJson : JsonSerializerContext;
