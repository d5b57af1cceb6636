namespace Formation.Grains.Placement;

/// <summary>Marks a grain class as placed by <see cref="HostAffinityPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class HostAffinityPlacementAttribute() : PlacementAttribute(HostAffinityPlacement.Instance);
