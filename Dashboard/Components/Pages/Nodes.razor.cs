using Formation.Dashboard.Components.Shared;
using Formation.Events;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Dashboard.Components.Pages;

/// <summary>Every node: health, driver, reserved capacity, VMs, heartbeat (<c>form node list</c>); live.</summary>
public sealed partial class Nodes : LivePage
{
    private IReadOnlyList<NodeStatus> _nodes = [];

    protected override async Task LoadAsync() => _nodes = await Formation.ListNodesAsync();

    protected override async Task SubscribeAsync()
    {
        await Subscribe<NodeEvent>(EventStreams.ForNodes(), _ => ReloadSoon());
        await Subscribe<VmEvent>(EventStreams.ForAllVms(), _ => ReloadSoon(TimeSpan.FromSeconds(1)));
    }
}
