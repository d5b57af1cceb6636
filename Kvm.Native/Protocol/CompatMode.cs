using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>
/// Nested-PVM compatibility (<c>"compat"</c> in vmm.json): <c>auto</c> applies it only when the host is detected as
/// nested PVM; <c>on</c> and <c>off</c> force it.
/// </summary>
[JsonConverter(typeof(StrictEnumConverter<CompatMode>))]
public enum CompatMode
{
    [JsonStringEnumMemberName("auto")]
    Auto,

    [JsonStringEnumMemberName("on")]
    On,

    [JsonStringEnumMemberName("off")]
    Off,
}
