using Formation.Identity;

namespace Formation.Edge;

/// <summary>The cluster's edge routes (key: <see cref="GrainKeys.Cluster"/>): HTTP ones by host name, TCP ones by listen port.</summary>
[Alias("formation.route-catalog")]
public interface IRouteCatalogGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds a route. Refused, with nothing changed, when the host name or port is malformed, the service does not exist,
    /// the port is not one the service's image exposes, the host already has a route, or the certificate does not match
    /// its key, is not for the host or has expired.
    /// </summary>
    [Alias("add")]
    [Mutating]
    Task<EdgeRoute> AddAsync(string host, string service, int port, EdgeTlsRequest? tls = null, EdgeBalance balance = EdgeBalance.RoundRobin);

    /// <summary>The certificates (with their keys) of the routes that serve HTTPS, for the nodes' edge proxies.</summary>
    [Alias("certificates"), AlwaysInterleave]
    [NonMutating]
    [NodeOnly]
    Task<IReadOnlyList<EdgeCertificate>> CertificatesAsync();

    [Alias("list"), AlwaysInterleave]
    [NonMutating]
    Task<IReadOnlyList<EdgeRoute>> ListAsync();

    /// <summary>Removes the route of a host; NotFound when there is none.</summary>
    [Alias("delete")]
    [Mutating]
    Task<EdgeRoute> DeleteAsync(string host);

    /// <summary>
    /// Adds a TCP route. Refused, with nothing changed, when the listen port is out of range, taken by another TCP route
    /// or by a node's own endpoints (silo, gateway, metrics, libp2p), or the service or its exposed port is missing.
    /// </summary>
    [Alias("add-tcp")]
    [Mutating]
    Task<EdgeTcpRoute> AddTcpAsync(int listenPort, string service, int port, EdgeBalance balance = EdgeBalance.RoundRobin);

    [Alias("list-tcp"), AlwaysInterleave]
    [NonMutating]
    Task<IReadOnlyList<EdgeTcpRoute>> ListTcpAsync();

    /// <summary>Removes the TCP route of a listen port; NotFound when there is none.</summary>
    [Alias("delete-tcp")]
    [Mutating]
    Task<EdgeTcpRoute> DeleteTcpAsync(int listenPort);
}
