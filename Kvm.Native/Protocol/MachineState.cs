using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>Lifecycle of a VM: Created → Running ⇄ Paused → Stopped. On the control socket: <c>"running"</c> etc.</summary>
[JsonConverter(typeof(StrictEnumConverter<MachineState>))]
public enum MachineState
{
    [JsonStringEnumMemberName("created")]
    Created,

    [JsonStringEnumMemberName("running")]
    Running,

    [JsonStringEnumMemberName("paused")]
    Paused,

    [JsonStringEnumMemberName("stopped")]
    Stopped,
}
