using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary><c>{"cmd":"registers"}</c>: a few registers of every vCPU (diagnostics); only while paused.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RegistersRequest : VmmRequest<IReadOnlyList<VcpuRegisters>>;
