using Formation.Errors;
using Formation.Grains.Common;
using Formation.Identity;
using Formation.Ownership;
using Formation.Services;

namespace Formation.Grains.Services;

/// <summary>The cluster's list of services: a row per service, kept by the service grains.</summary>
public sealed class ServiceCatalogGrain(IStateRowStore rows) : Grain, IServiceCatalogGrain
{
    private PersistentRowMap<ServiceSummary> _services = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _services = new PersistentRowMap<ServiceSummary>(rows, "service-catalog", this.GetPrimaryKeyString(), DeactivateOnIdle);
        await _services.LoadAsync(cancellationToken);
    }

    public Task<IReadOnlyList<ServiceSummary>> ListAsync()
    {
        var caller = CallerContext.CurrentOrSystem;
        return Task.FromResult<IReadOnlyList<ServiceSummary>>([.. _services.Items.Values
            .Where(s => caller.MayAct(OwnedName.FromStored(s.Name).Account))
            .OrderBy(s => s.Name, StringComparer.Ordinal)]);
    }

    public Task<string> KeyOfAsync(string name)
    {
        var caller = CallerContext.CurrentOrSystem;
        var owned = OwnedName.Parse(name, caller);
        return caller.MayAct(owned.Account)
            ? Task.FromResult(owned.ToString())
            : throw FormationException.NotFound($"No service named '{name}'. `form service list` shows the services; `form deploy` makes one.");
    }

    public async Task UpdateAsync(ServiceSummary summary)
    {
        _services.Set(summary.Name, summary);
        await _services.FlushAsync();
    }

    public async Task RemoveAsync(string name)
    {
        if (_services.Remove(name, out _))
        {
            await _services.FlushAsync();
        }
    }

    public async Task WakeAllAsync()
    {
        foreach (var name in _services.Items.Keys.ToList())
        {
            await GrainFactory.GetGrain<IServiceGrain>(name).WakeAsync();
        }
    }
}
