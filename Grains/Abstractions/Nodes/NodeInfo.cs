namespace Formation.Nodes;

/// <summary>What a node reports about itself when its silo starts.</summary>
/// <param name="Mesh">Its WireGuard mesh identity, once its mesh agent published it; null where the node runs no mesh.</param>
/// <param name="StorageMode">Where its silo keeps state: <c>embedded</c> (SQLite) or <c>cluster</c> (PostgreSQL); empty if unknown.</param>
/// <param name="PeerId">Its libp2p PeerId (<c>12D3KooW…</c>); empty when it runs no discovery.</param>
/// <param name="MetricsUrl">Its silo's Prometheus endpoint (<c>http://127.0.0.1:9464/metrics</c>, on the node's loopback); empty when off.</param>
/// <param name="Multiaddrs">Where its libp2p host listens, each ending in <c>/p2p/&lt;PeerId&gt;</c> (what <c>--join</c> takes).</param>
[GenerateSerializer, Immutable]
[Alias("formation.node-info")]
public sealed record NodeInfo(
    [property: Id(0)] string NodeId,
    [property: Id(1)] string HostName,
    [property: Id(2)] int CpuCount,
    [property: Id(3)] long MemoryMiB,
    [property: Id(4)] long DiskGiB,
    [property: Id(5)] bool KvmAvailable,
    [property: Id(6)] string KvmDetail,
    [property: Id(7)] string HypervisorDriver,
    [property: Id(8)] string HypervisorReason,
    [property: Id(9)] string SiloEndpoint,
    [property: Id(10)] string GatewayEndpoint,
    [property: Id(11)] NodeCapacity Allocatable,
    [property: Id(12)] DateTimeOffset StartedAt,
    [property: Id(13)] string Version,
    [property: Id(14)] string StorageMode = "",
    [property: Id(15)] string PeerId = "",
    [property: Id(16)] IReadOnlyList<string>? Multiaddrs = null,
    [property: Id(17)] NodeMesh? Mesh = null,
    [property: Id(18)] string MetricsUrl = "");
