namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// A virtio device behind a transport. The transport calls it under its own lock: config access,
/// activation when the driver sets DRIVER_OK, queue notifications, reset. A device that finds the
/// guest's buffers malformed throws <see cref="VirtqueueException"/>; the transport then fails it.
/// </summary>
public interface IVirtioDevice
{
    uint DeviceId { get; }

    /// <summary>Offered feature bits (VIRTIO_F_VERSION_1 is added by the transport).</summary>
    ulong Features { get; }

    int QueueCount { get; }

    ushort QueueMaxSize { get; }

    void ReadConfig(ulong offset, Span<byte> data);

    void WriteConfig(ulong offset, ReadOnlySpan<byte> data);

    /// <summary>The driver finished setup; <paramref name="queues"/> are validated and ready.</summary>
    void Activate(IVirtioQueueHost host, Virtqueue[] queues, ulong acceptedFeatures);

    /// <summary>The driver posted buffers on <paramref name="queue"/>.</summary>
    void Notify(int queue);

    /// <summary>The driver reset the device (status 0); stop using the queues.</summary>
    void Reset();
}
