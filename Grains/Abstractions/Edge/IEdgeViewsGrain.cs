using Formation.Identity;

namespace Formation.Edge;

/// <summary>
/// What the nodes' edge proxies route by (key: <see cref="GrainKeys.Cluster"/>): after every refresh, each node's edge
/// reports the version (<see cref="Services.ServiceInfo.UpdatedAt"/>) of each service its table was made from. A
/// service that drains a replica asks whether every edge has swapped in a version from after the drain began before it
/// deletes the replica, so no edge still sends requests to a VM that is gone (which answer nothing: a black hole until
/// the client gives up). Versions are the service grain's own clock read back, so clocks of other hosts do not matter.
/// </summary>
[Alias("formation.edge-views")]
public interface IEdgeViewsGrain : IGrainWithStringKey
{
    /// <summary>Node <paramref name="nodeId"/>'s edge swapped in a table made from these service versions (by service key).</summary>
    [Alias("refreshed")]
    [NonMutating]
    [NodeOnly]
    Task RefreshedAsync(string nodeId, IReadOnlyDictionary<string, DateTimeOffset> services);

    /// <summary>
    /// True when every edge heard from lately (see <see cref="EdgeViews.Forget"/>) routes by a version of
    /// <paramref name="service"/> from <paramref name="since"/> on, or does not route it at all.
    /// </summary>
    [Alias("all-read-since")]
    [NonMutating]
    [NodeOnly]
    Task<bool> AllReadSinceAsync(string service, DateTimeOffset since);
}
