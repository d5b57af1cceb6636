using Formation.Identity;

namespace Formation.Networking;

/// <summary>
/// The cluster's address plan (key: <see cref="GrainKeys.Cluster"/>): one IPv4 subnet per node, never two nodes the same.
/// </summary>
[Alias("formation.network")]
[NodeOnly]
public interface INetworkGrain : IGrainWithStringKey
{
    /// <summary>
    /// The node's subnet: the one it had, or a new one from the pool that overlaps none of
    /// <paramref name="inUseOnHost"/> (routes already present on that host). <paramref name="preferred"/> (an
    /// operator's choice) wins if no other node has it.
    /// </summary>
    [Alias("assign-subnet")]
    [Mutating]
    Task<string> AssignSubnetAsync(string nodeId, string? preferred, IReadOnlyList<string> inUseOnHost);

    /// <summary>Every node's subnet.</summary>
    [Alias("subnets")]
    [NonMutating]
    Task<IReadOnlyDictionary<string, string>> ListSubnetsAsync();
}
