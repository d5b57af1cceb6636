using Formation.Identity;

namespace Formation.Vms;

/// <summary>
/// The cluster's list of VMs (key: <see cref="GrainKeys.Cluster"/>): unique names, id → node, and a summary row per
/// VM kept current by the VM grains. Entry point for creating VMs.
/// </summary>
[Alias("formation.vm-catalog")]
public interface IVmCatalogGrain : IGrainWithStringKey
{
    /// <summary>Validates the spec, reserves the name, places the VM and creates it on its node.</summary>
    [Alias("create")]
    [Mutating]
    Task<VmInfo> CreateVmAsync(VmSpec spec);

    /// <summary>All VMs that are not deleted.</summary>
    [Alias("list")]
    [NonMutating]
    Task<IReadOnlyList<VmSummary>> ListAsync();

    /// <summary>The VMs that are replicas of <paramref name="service"/>.</summary>
    [Alias("list-service")]
    [NonMutating]
    [NodeOnly]
    Task<IReadOnlyList<VmSummary>> ListServiceAsync(string service);

    /// <summary>
    /// Moves a running VM to node <paramref name="toNode"/> (stop and copy: its machine state and disk travel as a snapshot)
    /// keeping its id, name, address and history; answers once it runs there. A failed move leaves it running where it was.
    /// </summary>
    [Alias("migrate")]
    [Mutating]
    [ResponseTimeout("00:10:00")]
    Task<VmInfo> MigrateVmAsync(string idOrName, string toNode);

    /// <summary>
    /// Drains a node (admins): marks it so placement passes it by, then migrates each of its running VMs to another node of
    /// its driver, one at a time. Returns what happened to each VM; stopped VMs stay (only running VMs migrate).
    /// </summary>
    [Alias("drain-node")]
    [Mutating]
    [ResponseTimeout("01:00:00")]
    Task<IReadOnlyList<DrainedVm>> DrainNodeAsync(string nodeId);

    /// <summary>Finds a VM by id or name; NotFound otherwise.</summary>
    [Alias("resolve")]
    [NonMutating]
    Task<VmRef> ResolveAsync(string idOrName);

    /// <summary>Called by a VM grain after each transition; a Deleted VM leaves the catalog.</summary>
    [Alias("update"), OneWay]
    [Mutating]
    [NodeOnly]
    Task UpdateAsync(VmSummary summary);

    /// <summary>
    /// Those of <paramref name="vmIds"/> the catalog neither lists nor is creating right now (the scheduler's audit of
    /// reservations left behind by a create that never reached its VM).
    /// </summary>
    [Alias("find-unknown")]
    [NonMutating]
    [NodeOnly]
    Task<IReadOnlyList<string>> FindUnknownAsync(IReadOnlyList<string> vmIds);

    /// <summary>Marks the VMs of a node whose heartbeats stopped as Lost.</summary>
    [Alias("node-lost")]
    [Mutating]
    [NodeOnly]
    Task MarkNodeLostAsync(string nodeId);
}
