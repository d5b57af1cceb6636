namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>The guest broke the virtqueue contract (bad index, address, loop). The device fails; the VMM lives on.</summary>
public sealed class VirtqueueException(string message) : Exception(message);
