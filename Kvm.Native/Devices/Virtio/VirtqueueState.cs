namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>A <see cref="Virtqueue"/> as a snapshot keeps it: the driver's setup and the device's positions in the rings.</summary>
public sealed record VirtqueueState(ushort Size, bool Ready, ulong DescTable, ulong AvailRing, ulong UsedRing, ushort NextAvail, ushort NextUsed);
