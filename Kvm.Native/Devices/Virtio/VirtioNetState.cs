namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>virtio-net: the MAC address the guest's driver read.</summary>
public sealed record VirtioNetState(string Mac) : VirtioDeviceState;
