using Formation.Dashboard.Components.Shared;
using Formation.Dashboard.Components.Shared.Metrics;
using Formation.Errors;
using Formation.Events;
using Formation.Nodes;
using Formation.Vms;
using Microsoft.AspNetCore.Components;

namespace Formation.Dashboard.Components.Pages;

/// <summary>One node: what it reported, its capacity, the VMs it runs, and charts of its metrics history; live.</summary>
public sealed partial class NodeDetail : LivePage
{
    private NodeStatus? _node;
    private List<VmSummary> _vms = [];
    private MetricsView _metrics = MetricsView.Loading;

    [Parameter]
    public string Id { get; set; } = "";

    protected override async Task LoadAsync()
    {
        var nodes = await Formation.ListNodesAsync();
        _node = nodes.FirstOrDefault(n => n.NodeId == Id)
            ?? throw FormationException.NotFound($"No node '{Id}'. The Nodes page lists the nodes.");
        _vms = [.. (await Formation.ListVmsAsync()).Where(v => v.NodeId == Id).OrderBy(v => v.Name, StringComparer.Ordinal)];
        await LoadMetricsAsync();
    }

    /// <summary>The node's history; read again every sample period, since a sample is no event.</summary>
    private async Task LoadMetricsAsync() => _metrics = _node is null ? MetricsView.Loading : await MetricsView.OfNodeAsync(Formation, _node);

    protected override async Task SubscribeAsync()
    {
        await Subscribe<NodeEvent>(EventStreams.ForNodes(), e =>
        {
            if (e.NodeId == Id)
            {
                ReloadSoon();
            }
        });
        await Subscribe<VmEvent>(EventStreams.ForAllVms(), e =>
        {
            if (e.NodeId == Id)
            {
                ReloadSoon();
            }
        });
        PollEvery(_metrics.Interval, LoadMetricsAsync);
    }
}
