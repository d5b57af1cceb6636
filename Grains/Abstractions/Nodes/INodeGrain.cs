using Formation.Identity;

namespace Formation.Nodes;

/// <summary>A host in the cluster, activated only on that host's silo (host-affinity placement). Key: node id.</summary>
[Alias("formation.node")]
[NodeOnly]
public interface INodeGrain : IGrainWithStringKey
{
    /// <summary>Records what the node reported at silo start and announces it to the scheduler.</summary>
    [Alias("register")]
    [Mutating]
    Task RegisterAsync(NodeInfo info);

    /// <summary>Publishes the node's mesh identity in its record (kept across later registrations) and tells the scheduler.</summary>
    [Alias("set-mesh")]
    [Mutating]
    Task SetMeshAsync(NodeMesh mesh);

    /// <summary>
    /// Has the node's mesh agent sync now (peers, routes, roaming addresses) instead of at its next round: a node that has
    /// just taken a migrated VM's address tells the others, so traffic to it turns there at once.
    /// </summary>
    [Alias("sync-mesh")]
    [NonMutating]
    Task SyncMeshAsync();

    /// <summary>Returns what the node last reported.</summary>
    [Alias("get")]
    [NonMutating]
    Task<NodeInfo?> GetAsync();
}
