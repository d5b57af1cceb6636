using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>A virtio-blk disk: a raw image file (<c>{"path":"root.img","readOnly":false,"serial":"root"}</c> in vmm.json).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record DiskConfig(string Path, bool ReadOnly = false, string? Serial = null);
