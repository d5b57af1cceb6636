namespace Formation.Discovery;

/// <summary>The peers one node's discovery knows; keyed by node id and placed on that node's silo.</summary>
[Alias("formation.node-peers")]
public interface INodePeersGrain : IGrainWithStringKey
{
    [Alias("list")]
    [NonMutating]
    Task<IReadOnlyList<PeerRow>> ListAsync();
}
