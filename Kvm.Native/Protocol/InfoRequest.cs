using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary><c>{"cmd":"info"}</c>: state, size, uptime, exit counters and devices.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record InfoRequest : VmmRequest<MachineInfo>;
