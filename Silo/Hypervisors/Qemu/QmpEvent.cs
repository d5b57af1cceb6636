using System.Text.Json.Nodes;

namespace Formation.Silo.Hypervisors.Qemu;

/// <summary>An asynchronous QMP event, e.g. SHUTDOWN with data.reason = guest-shutdown.</summary>
public sealed record QmpEvent(string Name, JsonObject? Data);
