using Formation.Clusters;
using Formation.Dashboard.Components.Shared;
using Formation.Display;
using Formation.Events;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Dashboard.Components.Pages;

/// <summary>Nodes with their reserved capacity, VM counts by state, recent events and the cluster's silos; live.</summary>
public sealed partial class Overview : LivePage
{
    private ClusterOverview? _overview;
    private IReadOnlyList<NodeStatus> _nodes = [];
    private List<VmEvent> _events = [];

    protected override async Task LoadAsync()
    {
        _overview = await Formation.OverviewAsync();
        _nodes = await Formation.ListNodesAsync();
        if (_events.Count == 0)
        {
            _events = [.. await Formation.RecentVmEventsAsync(vms: 12)];
        }
    }

    protected override async Task SubscribeAsync()
    {
        await Subscribe<VmEvent>(EventStreams.ForAllVms(), e =>
        {
            _events.Add(e);
            if (_events.Count > 200)
            {
                _events.RemoveRange(0, _events.Count - 200);
            }

            ReloadSoon(TimeSpan.FromSeconds(1));
        });
        await Subscribe<NodeEvent>(EventStreams.ForNodes(), _ => ReloadSoon(TimeSpan.FromSeconds(1)));
    }

    private static Tone ToneOf(string state) => Enum.TryParse<VmState>(state, out var s) ? Tones.Of(s) : Tone.Neutral;

    private static string StorageText(string mode) => mode switch
    {
        "embedded" => "embedded (SQLite)",
        "cluster" => "cluster (PostgreSQL)",
        _ => mode,
    };
}
