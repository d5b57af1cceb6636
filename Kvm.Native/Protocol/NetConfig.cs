using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>A virtio-net interface on a TAP device; <paramref name="Mac"/> like "02:00:00:00:00:01" (random when null).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record NetConfig(string Tap, string? Mac = null);
