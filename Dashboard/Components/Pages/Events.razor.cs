using Formation.Dashboard.Components.Shared;
using Formation.Display;
using Formation.Events;
using Formation.Images;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.Dashboard.Components.Pages;

/// <summary>VM transitions, node changes and build outcomes as they happen (newest first), with the recent VM history.</summary>
public sealed partial class Events : LivePage
{
    private const int MaxRows = 5000;

    private readonly List<EventRow> _rows = [];
    private IReadOnlyCollection<string> _kinds = ["vm", "node", "build"];
    private string? _filter;

    private IEnumerable<EventRow> Visible => _rows.AsEnumerable().Reverse().Where(r => _kinds.Contains(r.Kind) &&
        (string.IsNullOrWhiteSpace(_filter) || r.Subject.Contains(_filter.Trim(), StringComparison.OrdinalIgnoreCase) ||
         r.Text.Contains(_filter.Trim(), StringComparison.OrdinalIgnoreCase)));

    protected override async Task LoadAsync()
    {
        if (_rows.Count == 0)
        {
            _rows.AddRange((await Formation.RecentVmEventsAsync(vms: 50)).Select(EventRow.Of));
        }
    }

    protected override async Task SubscribeAsync()
    {
        await Subscribe<VmEvent>(EventStreams.ForAllVms(), e => Add(EventRow.Of(e)));
        await Subscribe<NodeEvent>(EventStreams.ForNodes(), e => Add(EventRow.Of(e)));
        await Subscribe<ImageBuildEvent>(EventStreams.ForAllBuilds(), e =>
        {
            if (e.Progress.Kind is BuildProgressKind.Started or BuildProgressKind.Completed or BuildProgressKind.Failed)
            {
                Add(EventRow.Of(e));
            }
        });
    }

    private void Add(EventRow row)
    {
        _rows.Add(row);
        if (_rows.Count > MaxRows)
        {
            _rows.RemoveRange(0, _rows.Count - MaxRows);
        }
    }

    /// <summary>One line of the event table.</summary>
    public sealed record EventRow(DateTimeOffset At, string Kind, string Subject, string Text, Tone Tone, string? Href)
    {
        public static EventRow Of(VmEvent e) =>
            new(e.At, "vm", e.Name, $"{e.From} → {e.To}" + (e.Reason is null ? "" : $": {e.Reason}") + $" (on {e.NodeId})", Tones.Of(e.To), $"/vms/{e.VmId}");

        public static EventRow Of(NodeEvent e) => new(e.At, "node", e.NodeId, e.Kind + (e.Detail is null ? "" : $": {e.Detail}"), e.Kind switch
        {
            NodeEventKind.Joined or NodeEventKind.Healthy => Tone.Good,
            NodeEventKind.Unhealthy => Tone.Bad,
            _ => Tone.Muted,
        }, $"/nodes/{e.NodeId}");

        public static EventRow Of(ImageBuildEvent e) => new(DateTimeOffset.UtcNow, "build", e.Reference,
            e.Progress.Kind switch
            {
                BuildProgressKind.Started => $"build started on {e.NodeId}: {e.Progress.Description}",
                BuildProgressKind.Completed => $"built on {e.NodeId} in {e.Progress.Elapsed.TotalSeconds:0.0} s",
                _ => $"build failed on {e.NodeId}: {e.Progress.Message}",
            },
            e.Progress.Kind == BuildProgressKind.Failed ? Tone.Bad : e.Progress.Kind == BuildProgressKind.Completed ? Tone.Good : Tone.Caution,
            Pages.ImageDetail.Href(e.Reference));
    }
}
