namespace Formation.Silo.Hypervisors;

/// <summary>
/// Starts VM processes of one hypervisor (qemu, kvm). A process outlives the silo; after a restart the driver
/// adopts it again from its <see cref="VmDirectory"/>.
/// </summary>
public interface IHypervisorDriver
{
    string Name { get; }

    /// <summary>Whether this driver's processes move between nodes while they run (<see cref="IVmLiveMigration"/>).</summary>
    bool MigratesLive => false;

    /// <summary>Starts the VM described by the launch (artifacts already in its directory); returns once it runs.</summary>
    Task<IVmProcess> LaunchAsync(VmLaunch launch, VmDirectory directory, CancellationToken cancellationToken);

    /// <summary>Re-attaches to the VM process of a directory, or null if none is running.</summary>
    Task<IVmProcess?> AdoptAsync(VmLaunch launch, VmDirectory directory, CancellationToken cancellationToken);
}
