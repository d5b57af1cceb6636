using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary><c>{"cmd":"wait"}</c>: answers once the VM has stopped, with how it stopped.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record WaitRequest : VmmRequest<ExitResult>;
