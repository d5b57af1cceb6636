namespace Formation.Edge;

/// <summary>The cluster's edge routes (key: <see cref="GrainKeys.Cluster"/>), one per host name.</summary>
[Alias("formation.route-catalog")]
public interface IRouteCatalogGrain : IGrainWithStringKey
{
    /// <summary>
    /// Adds a route. Refused, with nothing changed, when the host name or port is malformed, the service does not exist,
    /// the port is not one the service's image exposes, the host already has a route, or the certificate does not match
    /// its key, is not for the host or has expired.
    /// </summary>
    [Alias("add")]
    Task<EdgeRoute> AddAsync(string host, string service, int port, EdgeTlsRequest? tls = null);

    /// <summary>The certificates (with their keys) of the routes that serve HTTPS, for the nodes' edge proxies.</summary>
    [Alias("certificates"), AlwaysInterleave]
    Task<IReadOnlyList<EdgeCertificate>> CertificatesAsync();

    [Alias("list"), AlwaysInterleave]
    Task<IReadOnlyList<EdgeRoute>> ListAsync();

    /// <summary>Removes the route of a host; NotFound when there is none.</summary>
    [Alias("delete")]
    Task<EdgeRoute> DeleteAsync(string host);
}
