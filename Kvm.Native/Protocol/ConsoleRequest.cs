using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary><c>{"cmd":"console"}</c>: after the reply the connection is a raw byte stream (guest console out, keyboard in).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ConsoleRequest : VmmRequest<ConsoleAttached>;
