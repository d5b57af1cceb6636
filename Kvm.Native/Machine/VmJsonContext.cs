using System.Text.Json;
using System.Text.Json.Serialization;

namespace Formation.Kvm.Native.Machine;

/// <summary>Source-generated JSON for the VM config and control API (NativeAOT-safe).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VmConfigFile))]
[JsonSerializable(typeof(MachineInfo))]
public sealed partial class VmJsonContext : JsonSerializerContext;
