namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>What a device may ask of its transport: raise the used-buffer interrupt, fail the device, take the lock.</summary>
public interface IVirtioQueueHost
{
    /// <summary>The lock that serializes all access to the device (threads other than vCPUs must take it).</summary>
    Lock SyncRoot { get; }

    /// <summary>Signals used buffers on <paramref name="queue"/> (respecting the driver's no-interrupt flag).</summary>
    void SignalUsed(Virtqueue queue);

    /// <summary>Marks the device DEVICE_NEEDS_RESET after a guest error and stops it.</summary>
    void Fail(string reason);
}
