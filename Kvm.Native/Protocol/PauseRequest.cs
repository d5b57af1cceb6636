using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary><c>{"cmd":"pause"}</c>: every vCPU leaves KVM_RUN and parks; the kvmclock is saved.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PauseRequest : VmmRequest<StateResult>;
