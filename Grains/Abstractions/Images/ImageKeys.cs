namespace Formation.Images;

/// <summary>Keys of the host-affine image grains: <c>node/…</c>, so placement finds the node from the key alone.</summary>
public static class ImageKeys
{
    private const string BuildPrefix = "build-";

    /// <summary>A build session on <paramref name="nodeId"/> (<see cref="IImageBuildGrain"/>).</summary>
    public static string BuildSession(string nodeId, string sessionId) => $"{nodeId}/{BuildPrefix}{sessionId}";

    /// <summary>A new build session key on <paramref name="nodeId"/>.</summary>
    public static string NewBuildSession(string nodeId) => BuildSession(nodeId, Guid.NewGuid().ToString("N")[..16]);

    /// <summary>The image store agent of <paramref name="nodeId"/>.</summary>
    public static string NodeStore(string nodeId) => $"{nodeId}/images";
}
