using Formation.Dashboard.Components.Shared;
using Formation.Events;
using Formation.Services;
using Formation.Vms;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Formation.Dashboard.Components.Pages;

/// <summary>
/// One service (<c>form service show</c>): its rollout, replicas with health and whether they take traffic, and
/// revisions; scale, roll back and delete as <c>form service scale|rollback|delete</c> do.
/// </summary>
public sealed partial class ServiceDetail : LivePage
{
    private ServiceInfo? _service;
    private int _replicas;
    private bool _busy;

    [Parameter]
    public string Name { get; set; } = "";

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    public static string Href(string name) => "/services/" + Uri.EscapeDataString(name);

    protected override async Task LoadAsync()
    {
        var first = _service is null;
        _service = await Formation.GetServiceAsync(Name);
        if (first)
        {
            _replicas = _service.Replicas; // later reads leave what the user is typing alone
        }
    }

    protected override async Task SubscribeAsync()
    {
        await Subscribe<VmEvent>(EventStreams.ForAllVms(), e =>
        {
            if (_service?.ReplicaList.Any(r => r.VmId == e.VmId) == true || e.Name.StartsWith(Name + "-", StringComparison.Ordinal))
            {
                ReloadSoon();
            }
        });
        PollEvery(TimeSpan.FromSeconds(2));
    }

    private Task ScaleAsync() => ActAsync(() => Formation.ScaleServiceAsync(Name, _replicas), $"Scaling {Name} to {_replicas} replica(s).");

    private Task RollbackAsync() => ActAsync(() => Formation.RollbackServiceAsync(Name), $"Rolling {Name} back.");

    private async Task DeleteAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync($"Delete service {Name}?",
            "Every replica is taken out of DNS and the proxy, then deleted. Routes to it stop answering.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed == true && await TryAsync(() => Formation.DeleteServiceAsync(Name), Fail))
        {
            Snackbar.Add($"Deleting service {Name}.", Severity.Success);
            Navigation.NavigateTo("/services");
        }
    }

    private async Task ActAsync(Func<Task<ServiceInfo>> action, string started)
    {
        _busy = true;
        try
        {
            if (await TryAsync(async () => _service = await action(), Fail))
            {
                Snackbar.Add(started, Severity.Success);
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private void Fail(string message) => Snackbar.Add($"{Name}: {message}", Severity.Error);
}
