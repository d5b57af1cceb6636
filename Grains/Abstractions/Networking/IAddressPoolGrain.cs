using Formation.Identity;

namespace Formation.Networking;

/// <summary>
/// The VM addresses of one node's subnet (key: node id). An address belongs to at most one VM at a time; a released
/// address is handed out again only after every other free one (round robin).
/// </summary>
[Alias("formation.address-pool")]
[NodeOnly]
public interface IAddressPoolGrain : IGrainWithStringKey
{
    /// <summary>The VM's address in <paramref name="subnet"/>: the one it has, or the next free one.</summary>
    [Alias("allocate")]
    [Mutating]
    Task<string> AllocateAsync(string vmId, string subnet);

    /// <summary>Frees the VM's address (idempotent).</summary>
    [Alias("release")]
    [Mutating]
    Task ReleaseAsync(string vmId);

    /// <summary>VM id → address.</summary>
    [Alias("list")]
    [NonMutating]
    Task<IReadOnlyDictionary<string, string>> ListAsync();
}
