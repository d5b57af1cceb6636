namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>One validated buffer of a descriptor chain: inside guest RAM, read-only or device-writable.</summary>
public readonly record struct Descriptor(ulong Address, uint Length, bool Writable);
