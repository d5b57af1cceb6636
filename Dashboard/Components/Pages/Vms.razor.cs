using Formation.Dashboard.Components.Shared;
using Formation.Display;
using Formation.Events;
using Formation.Vms;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Formation.Dashboard.Components.Pages;

/// <summary>
/// Every VM of the cluster in a virtualized, sortable, filterable table. A transition event updates its row at once; a
/// VM that is new, or whose address may have changed, has the list read again (coalesced: a burst of events is one read).
/// </summary>
public sealed partial class Vms : LivePage
{
    private List<VmSummary> _vms = [];

    // The newest transition seen per VM: the catalog's list can lag the event stream, so a list read after an event
    // must not put back the state that event replaced.
    private readonly Dictionary<string, VmEvent> _newest = [];
    private string? _filter;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    private string CountText => _vms.Count == 1 ? "1 VM" : $"{_vms.Count} VMs";

    protected override async Task LoadAsync() =>
        _vms = [.. (await Formation.ListVmsAsync()).Select(WithNewestEvent).OrderBy(v => v.Name, StringComparer.Ordinal)];

    private VmSummary WithNewestEvent(VmSummary vm) =>
        _newest.TryGetValue(vm.Id, out var e) && e.At > vm.UpdatedAt ? vm with { State = e.To, UpdatedAt = e.At } : vm;

    protected override Task SubscribeAsync() => Subscribe<VmEvent>(EventStreams.ForAllVms(), Apply);

    private void Apply(VmEvent e)
    {
        var index = _vms.FindIndex(v => v.Id == e.VmId);
        if (e.To == VmState.Deleted)
        {
            _newest.Remove(e.VmId);
            if (index >= 0)
            {
                _vms.RemoveAt(index);
            }

            return;
        }

        if (!_newest.TryGetValue(e.VmId, out var seen) || e.At >= seen.At)
        {
            _newest[e.VmId] = e;
        }

        if (index < 0)
        {
            ReloadSoon();
            return;
        }

        _vms[index] = _vms[index] with { State = e.To, UpdatedAt = e.At };
        if (e.To is VmState.Running or VmState.Provisioning)
        {
            ReloadSoon(); // the address and ports are set when the guest boots
        }
    }

    private bool Matches(VmSummary vm)
    {
        if (string.IsNullOrWhiteSpace(_filter))
        {
            return true;
        }

        var f = _filter.Trim();
        return vm.Name.Contains(f, StringComparison.OrdinalIgnoreCase) || vm.Account.Contains(f, StringComparison.OrdinalIgnoreCase) || vm.NodeId.Contains(f, StringComparison.OrdinalIgnoreCase) ||
            vm.State.ToString().Contains(f, StringComparison.OrdinalIgnoreCase) || (vm.Image?.Contains(f, StringComparison.OrdinalIgnoreCase) ?? false) ||
            (vm.Address?.Contains(f, StringComparison.Ordinal) ?? false) || vm.Id.Contains(f, StringComparison.Ordinal);
    }

    private static VmRef Ref(VmSummary vm) => new(vm.Id, vm.NodeId);

    private static string Age(VmSummary vm) => vm.CreatedAt == default ? "-" : Units.Age(vm.CreatedAt, DateTimeOffset.UtcNow);

    private async Task CreateAsync()
    {
        var dialog = await Dialogs.ShowAsync<CreateVmDialog>("Create VM", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        var result = await dialog.Result;
        if (result is { Canceled: false, Data: VmInfo created })
        {
            Snackbar.Add($"Created VM {created.Name} on node {created.NodeId}: {created.State}.", Severity.Success);
            ReloadSoon(TimeSpan.Zero);
        }
    }
}
