using Formation.Identity;
using Formation.Nodes;

namespace Formation.Scheduling;

/// <summary>
/// The cluster's capacity authority (key: <see cref="GrainKeys.Cluster"/>): knows every node, its health and what is
/// reserved on it, and places VMs without ever over-committing a node.
/// </summary>
[Alias("formation.scheduler")]
public interface ISchedulerGrain : IGrainWithStringKey
{
    /// <summary>Adds or updates a node (called when its silo starts).</summary>
    [Alias("register-node")]
    [Mutating]
    [NodeOnly]
    Task RegisterNodeAsync(NodeInfo info);

    /// <summary>Records that a node is alive.</summary>
    [Alias("heartbeat")]
    [Mutating]
    [NodeOnly]
    Task HeartbeatAsync(string nodeId);

    /// <summary>Records that a node is alive and its measured load (null when it has no measurement yet).</summary>
    [Alias("heartbeat-load")]
    [Mutating]
    [NodeOnly]
    Task HeartbeatAsync(string nodeId, NodeLoad? load);

    /// <summary>Records that a node's silo is shutting down cleanly.</summary>
    [Alias("node-leaving")]
    [Mutating]
    [NodeOnly]
    Task NodeLeavingAsync(string nodeId);

    /// <summary>Every known node, ordered by id.</summary>
    [Alias("list-nodes")]
    [NonMutating]
    Task<IReadOnlyList<NodeStatus>> ListNodesAsync();

    /// <summary>Chooses a node and reserves the VM's resources on it; NoCapacity with the best candidate otherwise.</summary>
    [Alias("place")]
    [Mutating]
    [NodeOnly]
    Task<string> PlaceAsync(PlacementRequest request);

    /// <summary>Chooses the node that builds an image (<see cref="BuildPlacementRequest"/>); reserves nothing.</summary>
    [Alias("place-build")]
    [Mutating]
    Task<string> PlaceBuildAsync(BuildPlacementRequest request);

    /// <summary>Releases what a VM reserved (idempotent).</summary>
    [Alias("release")]
    [Mutating]
    [NodeOnly]
    Task ReleaseAsync(string vmId);

    /// <summary>
    /// Holds VM <paramref name="vmId"/>'s resources on <paramref name="toNode"/> too, for a migration (its reservation stays
    /// where it is until <see cref="EndMoveAsync"/>); NoCapacity, with the reason, when that node cannot take it.
    /// </summary>
    [Alias("begin-move")]
    [Mutating]
    [NodeOnly]
    Task BeginMoveAsync(string vmId, string toNode);

    /// <summary>Marks a node drained (it keeps its VMs, placement passes it by) or takes it back. Admins only.</summary>
    [Alias("set-drained")]
    [Mutating]
    Task SetDrainedAsync(string nodeId, bool drained);

    /// <summary>Ends a migration's hold: the VM's reservation is now on the target (<paramref name="moved"/>), or stays where it was.</summary>
    [Alias("end-move")]
    [Mutating]
    [NodeOnly]
    Task EndMoveAsync(string vmId, bool moved);

    /// <summary>Changes an account's limits (those <paramref name="change"/> sets; 0 or less removes one). Admins only.</summary>
    [Alias("set-quota")]
    [Mutating]
    Task<QuotaStatus> SetQuotaAsync(string account, AccountQuota change);

    /// <summary>
    /// Usage and limits: of <paramref name="account"/>, or (null) of the accounts the caller may see: its own, or (admins)
    /// every account with a VM or a quota. A member naming another account is refused (PermissionDenied).
    /// </summary>
    [Alias("list-quotas")]
    [NonMutating]
    Task<IReadOnlyList<QuotaStatus>> ListQuotasAsync(string? account = null);
}
