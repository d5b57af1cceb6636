using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>
/// One request on formation-vmm's control socket: a JSON object on one line whose <c>"cmd"</c> names the command
/// (<c>{"id":1,"cmd":"pause"}</c>). The optional <see cref="Id"/> is echoed in the reply. Each command is one record
/// type below; <see cref="VmmRequest{TResult}"/> binds it to the type of its result.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
[JsonPolymorphic(TypeDiscriminatorPropertyName = "cmd", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(BootRequest), "boot")]
[JsonDerivedType(typeof(PauseRequest), "pause")]
[JsonDerivedType(typeof(ResumeRequest), "resume")]
[JsonDerivedType(typeof(ShutdownRequest), "shutdown")]
[JsonDerivedType(typeof(KillRequest), "kill")]
[JsonDerivedType(typeof(WaitRequest), "wait")]
[JsonDerivedType(typeof(InfoRequest), "info")]
[JsonDerivedType(typeof(RegistersRequest), "registers")]
[JsonDerivedType(typeof(ConsoleRequest), "console")]
[JsonDerivedType(typeof(SnapshotRequest), "snapshot")]
public abstract record VmmRequest
{
    /// <summary>Echoed in the reply (optional).</summary>
    public long? Id { get; init; }
}
