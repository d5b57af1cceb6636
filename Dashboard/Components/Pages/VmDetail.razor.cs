using System.Text;
using System.Text.RegularExpressions;
using Formation.Dashboard.Cluster;
using Formation.Dashboard.Components.Shared;
using Formation.Dashboard.Components.Shared.Metrics;
using Formation.Display;
using Formation.Events;
using Formation.Vms;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Formation.Dashboard.Components.Pages;

/// <summary>One VM: its spec, address and ports, its state timeline and metrics charts (live), its console, a command run in it, and its logs.</summary>
public sealed partial class VmDetail : LivePage
{
    private const int LogBytes = 64 * 1024;

    private VmInfo? _vm;
    private List<VmEvent> _events = [];
    private string _logs = "";
    private MetricsView _metrics = MetricsView.Loading;
    private int _tab;
    private List<BreadcrumbItem> _crumbs = [];

    [Parameter]
    public string Id { get; set; } = "";

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    private VmRef Ref => new(_vm!.Id, _vm.NodeId);

    protected override async Task LoadAsync()
    {
        var detail = await Formation.GetVmAsync(Id);
        _vm = detail.Vm;
        _events = [.. detail.Events];
        _crumbs = [new("VMs", "/vms"), new(_vm.Name, null, disabled: true)];
        await LoadLogsAsync();
        await LoadMetricsAsync();
    }

    /// <summary>The VM's history from its node; read again every sample period, since a sample is no event.</summary>
    private async Task LoadMetricsAsync() => _metrics = _vm is null ? MetricsView.Loading : await MetricsView.OfVmAsync(Formation, Ref);

    protected override async Task SubscribeAsync()
    {
        await Subscribe<VmEvent>(EventStreams.ForVm(_vm!.Id), OnVmEvent);
        PollEvery(_metrics.Interval, LoadMetricsAsync);
    }

    private void OnVmEvent(VmEvent e)
    {
        if (!_events.Any(x => x.At == e.At && x.To == e.To))
        {
            _events.Add(e);
        }

        _vm = _vm! with { State = e.To, Reason = e.Reason, UpdatedAt = e.At };
        ReloadSoon(); // address, ports and the console log change with the state
    }

    private async Task LoadLogsAsync()
    {
        if (_vm is null)
        {
            return;
        }

        try
        {
            var chunk = await Formation.Console(Ref).ReadAsync(-LogBytes, LogBytes, TimeSpan.Zero);
            _logs = Printable(Encoding.UTF8.GetString(chunk.Data));
        }
        catch (Exception ex)
        {
            _logs = $"(the console log cannot be read: {FabricErrors.Describe(ex)})";
        }
    }

    private void OnActionDone((VmAction Action, VmInfo Vm) done)
    {
        if (done.Action == VmAction.Delete)
        {
            Navigation.NavigateTo("/vms");
            return;
        }

        _vm = done.Vm;
    }

    /// <summary>The facts of <c>form vm show</c>.</summary>
    private static IEnumerable<(string Key, string Value)> Facts(VmInfo vm) =>
    [
        ("ID", vm.Id),
        ("Node", vm.NodeId),
        ("vCPUs", vm.Spec.VCpus.ToString()),
        ("Memory", Units.MiB(vm.Spec.MemoryMiB)),
        ("Disk", Units.GiB(vm.Spec.DiskGiB)),
        ("Image", vm.Spec.Image ?? "-"),
        ("Image digest", vm.Spec.ImageDigest ?? "-"),
        ("Address", vm.Address ?? "-"),
        ("Restart", vm.Spec.Restart.ToString()),
        ("Console", vm.Spec.Console?.ToString().ToLowerInvariant() ?? "as the image says"),
        ("Driver", vm.HypervisorDriver),
        ("Created", vm.CreatedAt.ToString("u")),
        ("Updated", vm.UpdatedAt.ToString("u")),
    ];

    /// <summary>A link for a TCP port of a VM with an address (http for the usual web ports, as <c>form deploy</c> prints).</summary>
    public static string? PortUrl(string? address, string port)
    {
        var slash = port.IndexOf('/');
        var number = slash < 0 ? port : port[..slash];
        var protocol = slash < 0 ? "tcp" : port[(slash + 1)..];
        if (address is null || protocol != "tcp" || !int.TryParse(number, out var n))
        {
            return null;
        }

        return n == 443 || n == 8443 ? $"https://{address}:{n}" : $"http://{address}:{n}";
    }

    /// <summary>Console text without terminal control sequences (colors, cursor moves), for the plain log view.</summary>
    private static string Printable(string text) => ControlSequences().Replace(text, "").Replace("\r\n", "\n").Replace('\r', '\n');

    [GeneratedRegex(@"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]")]
    private static partial Regex ControlSequences();
}
