using Formation.Dashboard.Components.Shared;
using Formation.Errors;
using Formation.Events;
using Formation.Nodes;
using Formation.Vms;
using Microsoft.AspNetCore.Components;

namespace Formation.Dashboard.Components.Pages;

/// <summary>One node: what it reported, its capacity, and the VMs it runs; live.</summary>
public sealed partial class NodeDetail : LivePage
{
    private NodeStatus? _node;
    private List<VmSummary> _vms = [];

    [Parameter]
    public string Id { get; set; } = "";

    protected override async Task LoadAsync()
    {
        var nodes = await Formation.ListNodesAsync();
        _node = nodes.FirstOrDefault(n => n.NodeId == Id)
            ?? throw FormationException.NotFound($"No node '{Id}'. The Nodes page lists the nodes.");
        _vms = [.. (await Formation.ListVmsAsync()).Where(v => v.NodeId == Id).OrderBy(v => v.Name, StringComparer.Ordinal)];
    }

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
    }
}
