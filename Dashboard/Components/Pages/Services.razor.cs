using Formation.Dashboard.Components.Shared;
using Formation.Events;
using Formation.Services;
using Formation.Vms;

namespace Formation.Dashboard.Components.Pages;

/// <summary>Every service with its ready replicas and rollout (<c>form service list</c>); replica changes refresh it.</summary>
public sealed partial class Services : LivePage
{
    private IReadOnlyList<ServiceSummary> _services = [];

    protected override async Task LoadAsync() => _services = await Formation.ListServicesAsync();

    protected override async Task SubscribeAsync()
    {
        await Subscribe<VmEvent>(EventStreams.ForAllVms(), _ => ReloadSoon(TimeSpan.FromSeconds(1)));
        PollEvery(TimeSpan.FromSeconds(3));
    }
}
