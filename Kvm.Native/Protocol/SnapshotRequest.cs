using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>
/// <c>{"cmd":"snapshot","directory":"/path"}</c>: writes the paused VM's memory, vCPU and device state into
/// <see cref="Directory"/> (existing, empty, writable by the VMM's user). Refused while the VM runs; it stays paused.
/// A later formation-vmm restores it with <see cref="VmmConfig.RestoreFrom"/>.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record SnapshotRequest(string Directory) : VmmRequest<SnapshotResult>;
