namespace Formation;

/// <summary>
/// Grain keys in one place. A VM grain's key names its node (<c>node/vm-id</c>) so host-affinity placement can
/// find the node from the key alone, for every call, with no lookup and no request-context hint.
/// </summary>
public static class GrainKeys
{
    /// <summary>Key of the cluster-wide singleton grains (scheduler, catalog).</summary>
    public const string Cluster = "cluster";

    public static string Vm(string nodeId, string vmId) => $"{nodeId}/{vmId}";

    /// <summary>The node id a host-affine grain key names: the part before '/', or the whole key.</summary>
    public static string NodeOf(string key)
    {
        var slash = key.IndexOf('/');
        return slash < 0 ? key : key[..slash];
    }

    /// <summary>The VM id of a VM grain key.</summary>
    public static string VmIdOf(string key)
    {
        var slash = key.IndexOf('/');
        return slash < 0 ? key : key[(slash + 1)..];
    }
}
