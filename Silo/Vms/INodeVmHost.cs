using Formation.Grains.Hosting;

namespace Formation.Silo.Vms;

/// <summary>
/// This node's VM host as the silo runs it: what the grains call (<see cref="IVmHost"/>) plus what the silo does with
/// it while starting. <see cref="VmRuntime"/> runs VMs on a hypervisor driver; <see cref="SimVmHost"/> simulates them;
/// <see cref="NoVmHost"/> refuses them.
/// </summary>
public interface INodeVmHost : IVmHost
{
    /// <summary>Before the node registers: re-attach to the VMs that still run on this host, so their grains reconcile against the truth.</summary>
    Task AdoptAsync(CancellationToken cancellationToken);

    /// <summary>Once the cluster answers (the node's subnet comes from its address plan): host networking for VMs.</summary>
    Task PrepareNetworkAsync(CancellationToken cancellationToken);

    /// <summary>Every VM the host holds now, without waiting on any VM (metrics take it every few seconds).</summary>
    IReadOnlyList<VmCensusEntry> Census();
}
