using Formation.Silo.Nodes;

namespace Formation.Silo.Hosting;

/// <summary>What <see cref="FormationSiloBuilderExtensions.AddFormationCore"/> needs to know about this node.</summary>
public sealed record FormationCoreSettings(
    string NodeId,
    string DataDirectory,
    string Driver,
    string SiloEndpoint,
    string GatewayEndpoint,
    CapacityOptions Capacity,
    string StorageMode = "",
    string PeerId = "",
    IReadOnlyList<string>? Multiaddrs = null,
    string MetricsUrl = "");
