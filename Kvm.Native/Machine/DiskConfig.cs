namespace Formation.Kvm.Native.Machine;

/// <summary>A virtio-blk disk: a raw image file.</summary>
public sealed record DiskConfig(string Path, bool ReadOnly = false, string? Serial = null);
