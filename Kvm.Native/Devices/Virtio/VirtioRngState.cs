namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>virtio-rng: nothing beyond its queue.</summary>
public sealed record VirtioRngState : VirtioDeviceState;
