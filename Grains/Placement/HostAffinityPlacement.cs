namespace Formation.Grains.Placement;

/// <summary>
/// Activates a grain only on the silo of the node its key names (<see cref="GrainKeys.NodeOf"/>). If that node's silo
/// is not in the cluster, the call fails with NodeUnavailable; the grain never activates anywhere else.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
[Alias("formation.host-affinity")]
public sealed class HostAffinityPlacement : PlacementStrategy
{
    public static readonly HostAffinityPlacement Instance = new();
}
