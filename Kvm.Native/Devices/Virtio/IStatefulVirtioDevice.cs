namespace Formation.Kvm.Native.Devices.Virtio;

/// <summary>
/// A virtio device with state of its own beyond the transport's (queues, features, status): what a snapshot saves and a
/// restore checks or takes back. Called under the transport's lock, with the guest stopped; the restore comes before the
/// transport re-activates the device.
/// </summary>
public interface IStatefulVirtioDevice : IVirtioDevice
{
    VirtioDeviceState SaveState();

    /// <summary>Takes <paramref name="state"/> back; throws <see cref="InvalidDataException"/> saying why it does not fit this device.</summary>
    void RestoreState(VirtioDeviceState state);

    /// <summary>The restored VM's vCPUs are running (caller holds the transport's lock): what a device owes the guest after a restore.</summary>
    void Restored()
    {
    }
}
