using Formation.Identity;

namespace Formation.Grains.Hosting;

/// <summary>The silo's join-token store (cluster mode); in embedded mode it refuses with a clear error.</summary>
public interface IJoinTokenIssuer
{
    Task<JoinTokenIssued> CreateAsync(TimeSpan ttl, CancellationToken cancellationToken);
}
