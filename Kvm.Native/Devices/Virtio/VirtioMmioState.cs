namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// A <see cref="VirtioMmioTransport"/> as a snapshot keeps it: its registers, the features the driver accepted, each
/// queue, and the device's own state (null for a device without any).
/// </summary>
public sealed record VirtioMmioState(
    uint DeviceId,
    uint DeviceFeaturesSel,
    uint DriverFeaturesSel,
    uint QueueSel,
    uint Status,
    uint InterruptStatus,
    ulong DriverFeatures,
    bool Activated,
    string? FailureReason,
    IReadOnlyList<VirtqueueState> Queues,
    VirtioDeviceState? Device);
