using Formation.Identity;

namespace Formation.Services;

/// <summary>The cluster's list of services (key: <see cref="GrainKeys.Cluster"/>), kept current by the service grains.</summary>
[Alias("formation.service-catalog")]
public interface IServiceCatalogGrain : IGrainWithStringKey
{
    /// <summary>The services the caller may act on: its own, or (admins) every account's.</summary>
    [Alias("list")]
    [NonMutating]
    Task<IReadOnlyList<ServiceSummary>> ListAsync();

    /// <summary>
    /// The key of the service grain a caller means by <paramref name="name"/>: <c>NAME</c> in its own account, or
    /// (admins) <c>ACCOUNT/NAME</c>. A name of another account the caller may not act on is NotFound.
    /// </summary>
    [Alias("key-of"), ReadOnly]
    [NonMutating]
    Task<string> KeyOfAsync(string name);

    /// <summary>Called by a service grain after each change.</summary>
    [Alias("update")]
    [Mutating]
    [NodeOnly]
    Task UpdateAsync(ServiceSummary summary);

    /// <summary>Called by a service grain once it and its replicas are gone.</summary>
    [Alias("remove")]
    [Mutating]
    [NodeOnly]
    Task RemoveAsync(string name);

    /// <summary>Wakes every listed service (at silo start) so rollouts and replica repair resume without a user's call.</summary>
    [Alias("wake-all"), OneWay]
    [Mutating]
    [NodeOnly]
    Task WakeAllAsync();
}
