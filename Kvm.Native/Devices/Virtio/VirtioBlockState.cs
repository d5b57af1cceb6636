namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>virtio-blk: the disk the guest's driver sized itself for.</summary>
public sealed record VirtioBlockState(ulong CapacitySectors, bool ReadOnly) : VirtioDeviceState;
