using Formation.Dashboard.Components.Shared;
using Formation.Dashboard.Components.Shared.Metrics;
using Formation.Events;
using Formation.Metrics;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Dashboard.Components.Pages;

/// <summary>Every node: health, driver, reserved capacity, CPU and memory now, VMs, heartbeat (<c>form node list</c>, <c>form top</c>); live.</summary>
public sealed partial class Nodes : LivePage
{
    private IReadOnlyList<NodeStatus> _nodes = [];
    private Dictionary<string, NodeMetricsPoint?> _latest = [];

    protected override async Task LoadAsync()
    {
        var tops = await Formation.NodeTopsAsync();
        _nodes = [.. tops.Select(t => t.Node)];
        _latest = tops.ToDictionary(t => t.Node.NodeId, t => t.Latest, StringComparer.Ordinal);
    }

    protected override async Task SubscribeAsync()
    {
        await Subscribe<NodeEvent>(EventStreams.ForNodes(), _ => ReloadSoon());
        await Subscribe<VmEvent>(EventStreams.ForAllVms(), _ => ReloadSoon(TimeSpan.FromSeconds(1)));
        PollEvery(MetricsView.DefaultInterval); // a new sample is no event
    }
}
