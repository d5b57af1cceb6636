namespace Formation.Silo.Hypervisors;

/// <summary>
/// A VM process that can take devices while it runs (qemu: ACPI PCI hotplug on <c>-M pc</c>) and has a balloon. A driver
/// whose processes cannot (formation-vmm today) does not implement it; the runtime then refuses with the reason.
/// </summary>
public interface IVmHotplug
{
    /// <summary>Plugs in the raw disk file at <paramref name="path"/> as <paramref name="id"/> (the silo opens it and hands QEMU the descriptor).</summary>
    Task AddDiskAsync(string id, string path, CancellationToken cancellationToken);

    /// <summary>Plugs in a virtio NIC <paramref name="id"/> on the existing TAP <paramref name="tap"/> with MAC <paramref name="mac"/>.</summary>
    Task AddNicAsync(string id, string tap, string mac, CancellationToken cancellationToken);

    /// <summary>Asks the guest to let go of device <paramref name="id"/> and waits until it did (or throws at the deadline, the device still in).</summary>
    Task RemoveDeviceAsync(string id, TimeSpan deadline, CancellationToken cancellationToken);

    /// <summary>Sets the balloon so the guest keeps <paramref name="targetMiB"/>.</summary>
    Task SetBalloonAsync(long targetMiB, CancellationToken cancellationToken);

    /// <summary>The memory the guest has now (boot memory minus the balloon), in MiB.</summary>
    Task<long> QueryBalloonAsync(CancellationToken cancellationToken);
}
