namespace Formation.Identity;

/// <summary>Makes one-time join tokens for new nodes (cluster mode). Stateless: tokens live in the cluster's database.</summary>
[Alias("formation.join-token")]
public interface IJoinTokenGrain : IGrainWithStringKey
{
    /// <summary>A new token that admits one node within <paramref name="ttl"/>; only its hash is stored.</summary>
    [Alias("create")]
    [Mutating]
    Task<JoinTokenIssued> CreateAsync(TimeSpan ttl);
}
