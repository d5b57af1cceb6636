using Formation.Vms;

namespace Formation.Grains.Vms;

/// <summary>What the catalog persists: one summary row per VM that is not deleted.</summary>
[GenerateSerializer]
[Alias("formation.vm-catalog-state")]
public sealed class VmCatalogState
{
    [Id(0)] public Dictionary<string, VmSummary> Vms { get; set; } = [];
}
