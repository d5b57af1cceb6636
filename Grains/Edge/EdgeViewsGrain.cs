using Formation.Edge;

namespace Formation.Grains.Edge;

/// <summary>
/// The edges' reports, in memory (see <see cref="IEdgeViewsGrain"/>). After a reactivation it knows no edge until each
/// reports again (within a second); a drain asking meanwhile waits only its fixed time, as it did before edges reported.
/// </summary>
public sealed class EdgeViewsGrain(TimeProvider clock) : Grain, IEdgeViewsGrain
{
    private readonly EdgeViews _views = new(clock);

    public Task RefreshedAsync(string nodeId, IReadOnlyDictionary<string, DateTimeOffset> services)
    {
        _views.Refreshed(nodeId, services);
        return Task.CompletedTask;
    }

    public Task<bool> AllReadSinceAsync(string service, DateTimeOffset since) => Task.FromResult(_views.AllReadSince(service, since));
}
