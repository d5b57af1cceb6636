using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary><c>{"cmd":"resume"}</c>: the kvmclock is restored and the vCPUs continue.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ResumeRequest : VmmRequest<StateResult>;
