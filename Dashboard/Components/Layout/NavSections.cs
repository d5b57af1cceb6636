using MudBlazor;

namespace Formation.Dashboard.Components.Layout;

/// <summary>
/// The navigation, by section. Pages of later features (network, identity, metrics) add an entry to their section here,
/// or a new section.
/// </summary>
public static class NavSections
{
    public sealed record Entry(string Title, string Href, string Icon, bool Exact = false);

    public sealed record Section(string Title, IReadOnlyList<Entry> Entries);

    public static IReadOnlyList<Section> All { get; } =
    [
        new("Cluster",
        [
            new("Overview", "/", Icons.Material.Filled.Dashboard, Exact: true),
            new("Nodes", "/nodes", Icons.Material.Filled.Dns),
        ]),
        new("Workloads",
        [
            new("Services", "/services", Icons.Material.Filled.Hub),
            new("VMs", "/vms", Icons.Material.Filled.Computer),
            new("Images", "/images", Icons.Material.Filled.Layers),
        ]),
        new("Traffic",
        [
            new("Routes", "/routes", Icons.Material.Filled.AltRoute),
        ]),
        new("Activity",
        [
            new("Events", "/events", Icons.Material.Filled.Timeline),
            new("Audit", "/audit", Icons.Material.Filled.History),
        ]),
    ];
}
