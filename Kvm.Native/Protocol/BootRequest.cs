using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary><c>{"cmd":"boot"}</c>: starts the vCPUs of a VM created with <c>--no-boot</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record BootRequest : VmmRequest<StateResult>;
